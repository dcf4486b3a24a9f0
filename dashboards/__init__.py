"""The executive dashboard: a Streamlit app over the published warehouse (read-only).

``app.py`` is the entry script (``streamlit run dashboards/app.py``, or ``kpiwatch
dashboard``); ``pages/`` holds one file per page; ``marts.py`` is the only module that
talks to the warehouse.
"""
