"""The file a pytest-xdist worker's ``__main__`` names (see ``conftest.py``): empty on purpose.

A spawned child process (the generator's workers) runs its parent's main file first; from a
test worker, this one, which does nothing.
"""
