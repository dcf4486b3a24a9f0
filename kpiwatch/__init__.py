"""kpiwatch: is the operator keeping the service standard it promised, province by province?"""

__version__ = "0.1.0"
