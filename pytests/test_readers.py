"""Readers are read-only: kpiwatch sql, kpiwatch.connect() and the dashboard write nothing
and read only the published warehouse and the folders an operator allows.

Each refusal is tried through ``kpiwatch sql -c`` on a copy of a built home that lists an
allowed folder *and the home itself* in kpiwatch.toml, and every file under the test's
folder (the home with its secrets and raw layer, the allowed folder, a folder outside) and
under the current directory's ``.tmp`` is fingerprinted before and after: nothing may change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import kpiwatch
from core.config import ConfigError
from core.config.readers import ReaderSettings
from core.config.settings import load_settings
from core.home import Home
from core.readers import reader
from kpiwatch.cli import app


class Place:
    """A home with a raw layer and a key, an allowed folder with bait, a folder outside."""

    def __init__(self, root: Path, home: Home) -> None:
        self.root = root
        self.home = home
        self.shared = root / "shared"
        self.outside = root / "outside"
        self.key = home.secrets / "pii.key"

    def format(self, statement: str) -> str:
        return statement.format(
            home=self.home.root, shared=self.shared, outside=self.outside, key=self.key
        )

    def fingerprint(self) -> dict[str, str]:
        """Every file (and symlink) under the test's folder and ./.tmp, with its content hash."""
        found: dict[str, str] = {}
        for top in (self.root, Path(".tmp").resolve()):
            for path in sorted(top.rglob("*")) if top.exists() else []:
                if path.is_symlink():
                    found[str(path)] = "-> " + os.readlink(path)
                elif path.is_file():
                    found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
                else:
                    found[str(path)] = "dir"
        return found

    def raw_rows(self) -> int:
        con = duckdb.connect(str(self.home.work), read_only=True)
        try:
            return con.execute("select count(*) from raw.hall_tickets").fetchone()[0]
        finally:
            con.close()


@pytest.fixture(scope="module")
def place(built_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Place:
    root = tmp_path_factory.mktemp("readers")
    shutil.copytree(built_home.root, root / "home", ignore=shutil.ignore_patterns("*.lock"))
    home = Home.resolve(root / "home")
    where = Place(root, home)
    assert where.key.is_file() and home.work.is_file()
    where.shared.mkdir()
    where.outside.mkdir()
    (where.shared / "regions.csv").write_text("province_code,region\n110000,north\n")
    (where.outside / "private.csv").write_text("a,b\n1,2\n")
    (where.shared / "key.csv").symlink_to(where.key)
    (where.shared / "secrets").symlink_to(home.secrets)
    (where.shared / "private.csv").symlink_to(where.outside / "private.csv")
    (home.root / "kpiwatch.toml").write_text(
        f'[sql]\nallowed_paths = ["{where.shared}", "{home.root}"]\n', encoding="utf-8"
    )
    return where


def sql(place: Place, *args: str):
    return CliRunner().invoke(app, ["--home", str(place.home.root), "sql", *args])


READ_ONLY = "readers are read-only"
OUTSIDE = "is outside what readers may read"
LOCKED = "settings are fixed"

REFUSED = [
    # other databases: the working warehouse with the raw layer, a new file anywhere
    ("attach '{home}/work/warehouse.duckdb' as w (read_only false)", READ_ONLY),
    ("attach '{home}/work/warehouse.duckdb' as w", READ_ONLY),
    ("attach '{home}/work/warehouse.duckdb' as w (read_only)", READ_ONLY),
    ("attach '{home}/warehouse.duckdb' as w (read_only false)", "already attached"),
    ("attach '{outside}/new.duckdb' as n", READ_ONLY),
    ("attach '{shared}/new.duckdb' as n", READ_ONLY),
    ("attach 'readonly://{shared}/new.duckdb' as n", READ_ONLY),
    # files: the key, an allowed folder (both spellings), outside, DuckDB's temp folder
    ("copy (select 'x') to '{key}'", READ_ONLY),
    ("copy (select 'x') to 'readonly://{key}'", READ_ONLY),
    ("copy (select 1 as a) to 'readonly://{shared}/out.csv'", READ_ONLY),
    ("copy (select 1 as a) to 'readonly://{shared}/regions.csv' (use_tmp_file false)", READ_ONLY),
    ("copy (select 1 as a) to '{shared}/out.csv'", READ_ONLY),
    ("copy (select 1 as a) to '{outside}/out.parquet' (format parquet)", READ_ONLY),
    ("copy marts.dim_provinces to '.tmp/out.csv'", READ_ONLY),
    ("copy marts.dim_provinces to 'out.csv'", READ_ONLY),
    ("prepare p as copy (select 1) to '{outside}/p.csv'; execute p", READ_ONLY),
    ("export database '{outside}/export'", READ_ONLY),
    ("export database 'readonly://{shared}/export'", READ_ONLY),
    # extensions
    ("install httpfs", READ_ONLY),
    ("force install json", READ_ONLY),
    ("load httpfs", READ_ONLY),
    ("load '{shared}/evil.duckdb_extension'", READ_ONLY),
    # settings that would undo the lock, or write files
    ("set enable_external_access = true", LOCKED),
    ("reset enable_external_access", LOCKED),
    ("set allowed_directories = ['/']", LOCKED),
    ("set allowed_paths = ['{key}']", LOCKED),
    ("set lock_configuration = false", LOCKED),
    ("set temp_directory = '{outside}'", LOCKED),
    ("pragma enable_profiling = 'json'", LOCKED),
    ("pragma profile_output = '{outside}/profile.json'", LOCKED),
    ("call enable_logging(storage = 'file', storage_path = '{outside}/log')", LOCKED),
    ("set log_query_path = '{outside}/queries.log'", LOCKED),
    # reads outside the allowed set, the secrets and the raw layer whatever is listed
    ("select * from read_csv('/etc/passwd')", OUTSIDE),
    ("select * from read_text('{key}')", OUTSIDE),
    ("select * from read_text('readonly://{key}')", OUTSIDE),
    ("select * from read_text('readonly://{home}/kpiwatch.toml')", OUTSIDE),
    ("select * from read_blob('readonly://{home}/work/warehouse.duckdb')", OUTSIDE),
    ("select count(*) from read_duckdb('{home}/work/warehouse.duckdb')", OUTSIDE),
    ("select * from read_csv('{outside}/private.csv')", OUTSIDE),
    ("select * from glob('/etc/*')", OUTSIDE),
    ("select * from glob('readonly://{home}/secrets/*')", OUTSIDE),
    ("select * from read_text('readonly://{shared}/key.csv')", OUTSIDE),
    ("select * from read_text('readonly://{shared}/secrets/pii.key')", OUTSIDE),
    ("select * from read_csv('readonly://{shared}/private.csv')", OUTSIDE),
    ("select * from read_text('readonly://{shared}/../home/secrets/pii.key')", OUTSIDE),
    ("select * from read_csv('{shared}/regions.csv')", OUTSIDE),
    # the warehouse itself
    ("create table marts.mine as select 1 as a", READ_ONLY),
    ("insert into marts.dim_provinces select * from marts.dim_provinces", READ_ONLY),
    ("delete from marts.dim_provinces", READ_ONLY),
    ("update marts.dim_provinces set name_en = 'x'", READ_ONLY),
    ("drop schema marts cascade", READ_ONLY),
    ("create view main.v as select 1 as a", READ_ONLY),
]


@pytest.mark.parametrize("statement", [s for s, _ in REFUSED])
def test_every_way_of_writing_or_reading_beyond_is_refused(place: Place, statement: str) -> None:
    expected = dict(REFUSED)[statement]
    before, rows = place.fingerprint(), place.raw_rows()
    result = sql(place, "-c", place.format(statement))
    assert result.exit_code == 1, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in result.output, message
    assert message.startswith("error: ") and expected in message, message
    assert "attach 'mine" not in message.lower() and "read_only false" not in message
    assert place.fingerprint() == before
    assert place.raw_rows() == rows > 0


@pytest.mark.parametrize("statement", ["checkpoint", "force checkpoint", "vacuum"])
def test_a_checkpoint_of_the_read_only_warehouse_changes_nothing(
    place: Place, statement: str
) -> None:
    before = place.fingerprint()
    result = sql(place, "-c", statement)
    assert result.exit_code == 0, result.output
    assert place.fingerprint() == before


def test_files_in_an_allowed_folder_are_read(place: Place) -> None:
    before = place.fingerprint()
    result = sql(
        place,
        "--format",
        "csv",
        "-c",
        place.format(
            "select p.name_en, r.region from read_csv('readonly://{shared}/regions.csv') as r "
            "join marts.dim_provinces as p on p.province_code = r.province_code::varchar;\n"
            "select count(*) as files from glob('readonly://{shared}/*.csv');\n"
            "create temp table scratch as select 1 as a;\n"
            "set TimeZone = 'UTC';\n"
            "select current_setting('TimeZone') as zone;"
        ),
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "name_en,region",
        "Beijing,north",
        "files",
        "3",  # regions.csv and the two symlinks: listed, but not readable (above)
        "Count",  # the temporary table: in memory, gone with the connection
        "1",
        "Success",  # DuckDB's answer to SET
        "zone",
        "UTC",
    ]
    assert place.fingerprint() == before


def test_without_allowed_folders_no_file_is_readable(place: Place, tmp_path: Path) -> None:
    con = reader(place.home, ReaderSettings())
    try:
        with pytest.raises(duckdb.Error, match="disabled by configuration"):
            con.execute(place.format("select * from read_csv('readonly://{shared}/regions.csv')"))
        assert con.execute("select current_setting('allowed_directories')").fetchone()[0] == []
    finally:
        con.close()


def test_connect_and_the_dashboard_refuse_copy_too(
    place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KPIWATCH_HOME", str(place.home.root))
    from dashboards import marts

    pub = marts.publication()
    assert pub is not None
    before = place.fingerprint()
    for con in (kpiwatch.connect(place.home.root), marts._connection(*vars(pub).values())):
        assert con.execute("select count(*) from marts.dim_provinces").fetchone()[0] > 0
        for target in ("{outside}/out.csv", "readonly://{shared}/out.csv", "{key}"):
            with pytest.raises(duckdb.Error, match=r"disabled by configuration|read-only"):
                con.execute(place.format(f"copy marts.dim_provinces to '{target}'"))
        with pytest.raises(duckdb.Error):
            con.sql("select 1 as a").write_csv(place.format("{outside}/relation.csv"))
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("delete from marts.dim_provinces")
        settings = dict(
            con.execute(
                "select name, value from duckdb_settings() where name in "
                "('enable_external_access', 'lock_configuration', 'allowed_directories')"
            ).fetchall()
        )
        assert settings["enable_external_access"] == "false", settings
        assert settings["lock_configuration"] == "true", settings
        assert place.format("readonly://{shared}/") in settings["allowed_directories"]
        con.close()
    assert place.fingerprint() == before


def test_mistakes_are_one_line_and_dot_commands_work_in_scripts(place: Place) -> None:
    typo = sql(place, "-c", "selec 1")
    assert typo.exit_code == 1 and "Traceback" not in typo.output
    assert typo.stderr.strip().splitlines() == [
        'error: Parser Error: syntax error at or near "selec"'
    ]
    tables = sql(place, "--format", "csv", "-c", ".tables")
    assert tables.exit_code == 0, tables.output
    assert "marts,kpi_compliance,table," in tables.stdout
    script = (
        ".mode csv\n.describe marts.dim_provinces\nselect 7 as seven\n.help\n"
        "select '\n.x' as y"  # a line inside a string literal is not a dot-command
    )
    mixed = sql(place, "-c", script)
    assert mixed.exit_code == 0, mixed.output
    assert "column,type,comment" in mixed.stdout and "seven\n7" in mixed.stdout
    assert ".describe NAME" in mixed.stdout and mixed.stdout.endswith('y\n"\n.x"\n')
    for wrong, says in [
        (".nonsense", "unknown command '.nonsense'"),
        (".mode xml", ".mode takes one of table, csv, json"),
        (".describe", ".describe needs a table or view name"),
        (".describe marts.nothing", "no table or view named 'marts.nothing'"),
    ]:
        result = sql(place, "-c", wrong)
        assert result.exit_code == 1, result.output
        assert result.stderr.strip().startswith(f"error: {says}"), result.output
    for usage in (["--format", "xml", "-c", "select 1"], ["-c", "select 1", "-f", "q.sql"]):
        result = sql(place, *usage)
        assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.output


def test_the_interactive_shell_survives_every_mistake(place: Place) -> None:
    kpiwatch_cli = Path(sys.executable).with_name("kpiwatch")
    session = (
        "selec 1;\n"
        ".nonsense\n"
        + place.format("copy (select 1) to '{outside}/shell.csv';\n")
        + "set enable_external_access = true;\n"
        ".mode csv\n"
        "select 42 as answer;\n"
    )
    before = place.fingerprint()
    result = subprocess.run(
        [str(kpiwatch_cli), "--home", str(place.home.root), "sql"],
        input=session,
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 4 and all(line.startswith("error: ") for line in errors), errors
    assert "syntax error" in errors[0] and "unknown command" in errors[1]
    assert READ_ONLY in errors[2] and LOCKED in errors[3]
    assert result.stdout.splitlines() == ["answer", "42"]
    assert result.returncode == 1  # input was not a terminal and statements failed
    assert place.fingerprint() == before


def test_the_allowed_folders_are_an_operator_setting(tmp_path: Path) -> None:
    home = Home.resolve(tmp_path / "home")
    home.root.mkdir()
    config = home.root / "kpiwatch.toml"
    config.write_text('[sql]\nallowed_paths = ["/srv/exports", "~/lookup"]\n')
    folders = ReaderSettings.load(home).folders
    assert folders == (Path("/srv/exports"), Path("~/lookup").expanduser())
    load_settings(home)  # kpiwatch run accepts the [sql] table
    config.write_text('[sql]\nallowed_paths = ["exports"]\n')
    with pytest.raises(ConfigError, match="not an absolute folder"):
        load_settings(home)
    config.write_text('[sql]\nallowed_path = ["/srv/exports"]\n')
    with pytest.raises(ConfigError, match=r"unknown key\(s\) allowed_path in \[sql\]"):
        ReaderSettings.load(home)


def test_a_file_swapped_for_a_symlink_after_the_check_is_not_read(tmp_path: Path) -> None:
    """The race between resolving a path and opening it: what was opened must be what was
    checked (simulated by a check that saw the file before it became a symlink)."""
    from core.readers import ReadOnlyFolders

    shared, secret = tmp_path / "shared", tmp_path / "home" / "secrets" / "pii.key"
    shared.mkdir()
    secret.parent.mkdir(parents=True)
    secret.write_text("key")
    (shared / "a.csv").write_text("a\n1\n")
    folders = ReadOnlyFolders((shared,), (tmp_path / "home",), tmp_path / "home" / "w.duckdb")
    with folders._open(f"readonly://{shared}/a.csv") as opened:
        assert opened.read() == b"a\n1\n"
    checked = folders.confine(f"readonly://{shared}/a.csv")
    (shared / "a.csv").unlink()
    (shared / "a.csv").symlink_to(secret)
    folders.confine = lambda path: checked  # type: ignore[method-assign]
    with pytest.raises(PermissionError, match="changed while it was opened"):
        folders._open(f"readonly://{shared}/a.csv")
