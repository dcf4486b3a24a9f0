"""Stand-in for dbt's cross-database macros (``dbt.dateadd``) when sqlfluff renders models."""


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"dateadd({datepart}, {interval}, {from_date_or_timestamp})"


def datediff(first_date, second_date, datepart):
    return f"datediff('{datepart}', {first_date}, {second_date})"
