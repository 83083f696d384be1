"""The Data Docs site's page views (``great_expectations.yml``: each builder's ``view``): GX's own, with the code
Jinja compiles from GX's templates kept in ``bytecode_cache_dir``.

GX's views make a Jinja environment per builder, and every Data Docs update makes new builders, so each update
(one per intake run and one per warehouse check) compiled GX's page, section and component templates again: most
of the Python time of an update that renders a run's few pages. Jinja checks a cached entry against its template's
source, and its Python version, before it uses it."""

from __future__ import annotations

from pathlib import Path

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import Environment, FileSystemBytecodeCache


class CompiledTemplates:
    """A GX view whose Jinja environment keeps its compiled templates in ``bytecode_cache_dir``."""

    env: Environment

    def __init__(
        self,
        custom_styles_directory: str | None = None,
        custom_views_directory: str | None = None,
        bytecode_cache_dir: str | None = None,
    ) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)  # type: ignore[call-arg]
        if bytecode_cache_dir:
            Path(bytecode_cache_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
            self.env.bytecode_cache = FileSystemBytecodeCache(bytecode_cache_dir)


class CachedPageView(CompiledTemplates, DefaultJinjaPageView):
    pass


class CachedIndexPageView(CompiledTemplates, DefaultJinjaIndexPageView):
    pass
