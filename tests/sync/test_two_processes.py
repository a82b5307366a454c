"""The district and a school's copy as two processes with their own databases, carrying
bundles between them with the commands a person would type."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _district_database(tmp_path: Path) -> str:
    """PostgreSQL when the suite runs on it (a database of its own, never the suite's),
    else a SQLite file."""
    url = os.environ.get("INTRANET_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return "sqlite:///" + str(tmp_path / "district.sqlite3")
    import psycopg

    base, _, name = url.rpartition("/")
    own = f"{name}_twoproc"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{own}"')
        conn.execute(f'CREATE DATABASE "{own}"')
    return f"{base}/{own}"


class Side:
    """One installation: its instance folder, database and mode, run as subprocesses."""

    def __init__(self, folder: Path, mode: str, database: str = "") -> None:
        folder.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("INTRANET_")}
        self.env["INTRANET_INSTANCE_PATH"] = str(folder)
        self.env["INTRANET_MODE"] = mode
        if database:
            self.env["INTRANET_DATABASE_URL"] = database

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            args, env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        if check:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def intranet(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(str(BIN / "intranet"), *args, check=check)

    def act(self, action: str, **env: str) -> dict:
        self.env.update(env)
        done = self.run(sys.executable, "-m", "tests.sync.twoproc_actions", action)
        return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def sides(tmp_path):
    district = Side(tmp_path / "district", "district", _district_database(tmp_path))
    school = Side(tmp_path / "school", "school")
    return district, school


def test_a_form_goes_back_and_forth_between_two_processes(sides, tmp_path):
    district, school = sides
    district.act("seed")
    enrol = tmp_path / "enrol.zip"
    district.intranet("sync", "enrol", "--school", "s1", "--out", str(enrol))
    out = school.intranet("sync", "init", str(enrol)).stdout
    assert "head1" in out
    assert school.act("login_check") == {"login": "head1", "role": "school_head"}

    # Offline at the school: roadmap progress, an own item, the form filled and submitted.
    made = school.act("school_edit")["unsent"]
    assert len(made) >= 5
    up1 = tmp_path / "up1.zip"
    school.intranet("sync", "export", "--out", str(up1))
    district.intranet("sync", "import", str(up1))
    # The same stick plugged in twice changes nothing.
    again = district.intranet("sync", "import", str(up1))
    assert "уже" in again.stdout

    # The district returns the form with a remark; the school, still offline, reads why.
    assert district.act("district_return") == {"status": "returned"}
    down1 = tmp_path / "down1.zip"
    district.intranet("sync", "export", "--school", "s1", "--out", str(down1))
    school.intranet("sync", "import", str(down1))
    seen = school.act("school_view")
    assert seen["status"] == "returned"
    assert seen["comments"]["order"] == ["Нет даты приказа"]
    assert seen["comments"]["None"] == ["Уточните приказ"]
    assert "Форма «Самообследование ВСОКО» возвращена на доработку." in seen["notifications"]
    assert {seen["states"][u] for u in made} == {"confirmed"}

    # What else the district did comes down in the next bundle: a new form (with a
    # template version the copy never had), a reopening, a new plan and the school's roadmap
    # from it, a new account, a reset password.
    passwords = district.act("district_news")
    news = tmp_path / "news.zip"
    district.intranet("sync", "export", "--school", "s1", "--out", str(news))
    school.intranet("sync", "import", str(news))
    seen = school.act("school_news", TWOPROC_PASSWORDS=json.dumps(passwords))
    assert seen["campaigns"] == ["Мониторинг сайта", "Самообследование ВСОКО"]
    assert "Провести НИКО" in seen["roadmap_items"]  # the roadmap of a newly published plan
    assert "Своё мероприятие школы" in seen["roadmap_items"]  # the school's own, kept
    assert [d for d in seen["reopened"] if d != "None"]
    assert seen["logins"] == {"staff2": "staff2", "head1": "head1"}
    assert seen["old_password_works"] is False

    # Resubmitted offline, accepted at the district, and the school sees it accepted.
    remade = school.act("school_resubmit")["unsent"]
    assert remade
    up2 = tmp_path / "up2.zip"
    school.intranet("sync", "export", "--out", str(up2))
    district.intranet("sync", "import", str(up2))
    district.intranet("sync", "import", str(up1))  # a late replay of the first stick
    assert district.act("district_accept") == {"status": "accepted"}
    down2 = tmp_path / "down2.zip"
    district.intranet("sync", "export", "--school", "s1", "--out", str(down2))
    school.intranet("sync", "import", str(down2))
    school.intranet("sync", "import", str(down1))  # an old district bundle again
    seen = school.act("school_view")
    assert seen["status"] == "accepted"
    assert {seen["states"][u] for u in made + remade} == {"confirmed"}

    # Every change made offline arrived exactly once, and the district shows its effect.
    state = district.act("district_state")
    for uuid in made + remade:
        assert state["changes"].count(uuid) == 1, uuid
    assert state["submission"]["status"] == "accepted"
    assert state["submission"]["answers"]["order"] == "№ 12 от 01.09.2025"
    items = {text: (status, note) for text, status, note in state["roadmap"]["items"]}
    assert items["Проанализировать результаты ВПР"] == ("done", "Анализ проведён")
    assert "Своё мероприятие школы" in items

    # The same answer changed online on the district and offline at the school: both kept,
    # the copy shows «в конфликте» until a reviewer chooses, then takes the value chosen.
    district.act("edit_observers", TWOPROC_VALUE="4")
    school.act("edit_observers", TWOPROC_VALUE="5")
    up3 = tmp_path / "up3.zip"
    school.intranet("sync", "export", "--out", str(up3))
    imported = district.intranet("sync", "import", str(up3))
    assert "в конфликте 1" in imported.stdout, imported.stdout
    down3 = tmp_path / "down3.zip"
    district.intranet("sync", "export", "--school", "s1", "--out", str(down3))
    school.intranet("sync", "import", str(down3))
    assert school.act("school_conflicts")["in_conflict"] == ["observers"]
    kept = district.act("district_resolve")
    assert kept["resolved"] == ["observers"]
    down4 = tmp_path / "down4.zip"
    district.intranet("sync", "export", "--school", "s1", "--out", str(down4))
    school.intranet("sync", "import", str(down4))
    seen = school.act("school_conflicts")
    assert seen["in_conflict"] == []
    assert seen["answers"]["observers"] == kept["answers"]["observers"]
    state = district.act("district_state")
    for uuid in made + remade:
        assert state["changes"].count(uuid) == 1, uuid
    # Both sides compared their digests of the school's content: the same data.
    status = json.loads(school.intranet("sync", "status", "--json").stdout)
    assert status["digest"]["state"] == "agree", status["digest"]
    assert "данные совпадают с управлением" in school.intranet("sync", "status").stdout

    # Nothing new on either side: the next bundles carry nothing but their envelope.
    empty = tmp_path / "empty.zip"
    school.intranet("sync", "export", "--out", str(empty))
    assert empty.stat().st_size < 2048
    district.intranet("sync", "import", str(empty))
    nodes = json.loads(district.intranet("sync", "status", "--json").stdout)["nodes"]
    assert [n["digest"]["state"] for n in nodes] == ["agree"], nodes
