{# Fails (one row) when the weights of the model do not add up to 1. #}
{% test weights_sum_to_one(model, weight_column) %}

    select sum({{ weight_column }}) as total_weight
    from {{ model }}
    having abs(sum({{ weight_column }}) - 1) > 0.000001

{% endtest %}
