"""Stand-in for dbt's cross-database macros (``dbt.dateadd``) when sqlfluff renders models."""


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"dateadd({datepart}, {interval}, {from_date_or_timestamp})"
