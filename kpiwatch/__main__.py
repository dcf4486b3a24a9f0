"""``python -m kpiwatch``: the command line, as a child process starts it.

``kpiwatch schedule`` starts each run this way. Not ``python -c "...app()"``: a ``__main__``
without a spec or file looks to pyspark (imported by Great Expectations) like a doctest
run, and it then exits 0 on the spot, in the middle of the run, saying "Skipping doctests".
"""

from kpiwatch.cli import app

app(prog_name="kpiwatch")
