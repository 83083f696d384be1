{#
    Custom schemas are used as named, not prefixed with the target schema:
    models in `staging`, `intermediate`, `marts`, seeds in `reference`. Nodes without
    a custom schema land in the target schema (`public`).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
