"""URL handling: every spelling people and providers write, and no leak."""
from __future__ import annotations

import os
import stat
import urllib.parse
from pathlib import Path

import pytest

from migpipe.runtime.urls import UrlError, parse_url, password_file, redact

KNOWN = ["host", "port", "dbname", "user", "password", "sslmode", "options", "connect_timeout", "application_name"]


@pytest.mark.parametrize("password", [
    "simple", "p/ss", "p?ss", "p#ss", "p@ss", "p:ss", "p%ss", " leading", "quo'te\"s", "$(touch x)", "a/b?c#d@e:f%g h",
])
def test_a_percent_encoded_password_reads_back_exactly(password):
    url = parse_url(f"postgresql://app:{urllib.parse.quote(password, safe='')}@db.example.com:6543/prod?sslmode=require")
    assert url.password == password
    assert url.user == "app"
    assert url.hosts == (("db.example.com", "6543"),)
    assert url.database == "prod"
    assert url.param("sslmode") == "require"


@pytest.mark.parametrize("password", ["p/ss", "p?ss", "p#ss", "a/b?c#d", "x@y", "pw-Sec/r3t:@x"])
def test_a_raw_password_with_url_special_characters_is_still_the_password(password):
    url = parse_url(f"postgres://app:{password}@db.internal:5432/prod?sslmode=disable")
    assert url.password == password
    assert url.hosts == (("db.internal", "5432"),)
    assert url.database == "prod"
    assert url.param("sslmode") == "disable"


def test_password_as_a_query_parameter_is_taken_out_of_the_query():
    url = parse_url("postgresql://app@db:5432/prod?password=s3cr%2Ft&sslmode=require")
    assert url.password == "s3cr/t"
    assert "password" not in dict(url.query)
    assert url.libpq_params(KNOWN) == {"host": "db", "port": "5432", "dbname": "prod", "user": "app",
                                       "sslmode": "require"}


def test_spaces_around_the_url_are_ignored_and_a_leading_space_in_the_password_kept():
    url = parse_url("  postgresql://app:%20pw@db/prod \n")
    assert url.password == " pw"


def test_driver_schemes_several_hosts_and_ipv6():
    url = parse_url("postgresql+psycopg2://u:p@h1:5432,h2:5433,[::1]:5434/app?target_session_attrs=read-write")
    assert url.scheme == "postgresql+psycopg2"
    assert url.libpq_params(KNOWN + ["target_session_attrs"])["host"] == "h1,h2,::1"
    assert url.libpq_params(KNOWN)["port"] == "5432,5433,5434"


def test_tool_only_parameters_never_reach_libpq_but_stay_in_the_tools_url():
    url = parse_url("postgresql://u:p@h/db?schema=app&connection_limit=1&sslmode=require")
    assert url.libpq_params(KNOWN) == {"host": "h", "dbname": "db", "user": "u", "sslmode": "require"}
    assert parse_url(url.tool_url()).param("schema") == "app"


@pytest.mark.parametrize("text", ["mysql://root:hunter2@db/app", "hunter2", "postgresql:///app", "postgresql://u:p@h:xx/db"])
def test_a_bad_url_is_refused_without_quoting_it(text):
    with pytest.raises(UrlError) as error:
        parse_url(text, "DATABASE_URL")
    assert "hunter2" not in str(error.value)
    assert "DATABASE_URL" in str(error.value)


def test_a_unix_socket_url_needs_host_in_the_query():
    url = parse_url("postgresql://u:p@/db?host=/var/run/postgresql")
    assert url.libpq_params(KNOWN + ["host"])["host"] == "/var/run/postgresql"


def test_the_canonical_url_round_trips_any_password():
    password = "a/b?c#d@e:f%g h'\"$(x)"
    url = parse_url(f"postgresql://u:{urllib.parse.quote(password, safe='')}@h:1/db?options=-c%20a%3Db")
    again = parse_url(url.tool_url())
    assert again == url
    assert password not in url.tool_url()
    assert password not in url.tool_url(with_password=False)


def test_the_password_file_is_private_escaped_and_removed(tmp_path: Path):
    url = parse_url("postgresql://u:a%3Ab%5Cc@h/db")
    with password_file(url) as env:
        path = Path(env["PGPASSFILE"])
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text() == "*:*:*:*:a\\:b\\\\c\n"
    assert not path.exists()
    assert os.environ.get("PGPASSFILE") != str(path)


def test_every_spelling_of_the_password_is_redacted():
    url = parse_url("postgresql://u:pw%2Fse%20cret@h/db")
    text = "a pw/se cret b pw%2Fse%20cret c pw%2Fse+cret"
    assert redact(text, url.secrets) == "a *** b *** c ***"
