"""Stand-in for dbt's ``adapter`` when sqlfluff renders the project with its Jinja templater.

``adapter.dispatch('epoch_us', 'kpiwatch')(x)`` renders as ``epoch_us(x)``: plain SQL of
the same shape, so that models calling the engine-specific macros of macros/cross_engine.sql
lint as they read. dbt itself never loads this module.
"""


def dispatch(name, namespace=None):
    def call(*args, **kwargs):
        return f"{name}({', '.join(str(a) for a in [*args, *kwargs.values()])})"

    return call
