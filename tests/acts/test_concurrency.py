"""Issuing under real parallel requests: numbers with no gaps and no duplicates."""

from __future__ import annotations

import threading
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from sqlalchemy import select

from intranet.acts.models import ActStatus, ControlAct
from intranet.extensions import db
from tests.fixtures.factories import PASSWORD


def _browser(base: str, login: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    body = urllib.parse.urlencode({"login": login, "password": PASSWORD}).encode()
    opener.open(f"{base}/login", data=body, timeout=30)
    return opener


def _issue_at_once(base: str, browsers, acts) -> list[int]:
    barrier = threading.Barrier(len(acts))
    statuses: list[int] = []
    # Addresses read here: the threads have no application context for the ORM.
    urls = [f"{base}/schools/{act.school_id}/acts/{act.id}/issue" for act in acts]

    def go(browser, url):
        barrier.wait()
        with browser.open(url, data=b"", timeout=60) as response:
            statuses.append(response.status)

    threads = [threading.Thread(target=go, args=pair) for pair in zip(browsers, urls, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return statuses


def test_parallel_issues_get_consecutive_numbers(control, live_server):
    drafts = [control.draft() for _ in range(6)]
    browsers = [_browser(live_server, control.reviewer.login) for _ in drafts]
    statuses = _issue_at_once(live_server, browsers, drafts)
    assert statuses == [200] * len(drafts)
    db.session.expire_all()
    issued = db.session.scalars(select(ControlAct)).all()
    assert all(a.status == ActStatus.ISSUED.value for a in issued)
    assert sorted(a.seq for a in issued) == list(range(1, len(drafts) + 1))
    assert len({a.number for a in issued}) == len(drafts)


def test_one_draft_issued_twice_at_once_is_issued_once(control, live_server):
    draft = control.draft()
    browsers = [_browser(live_server, control.reviewer.login) for _ in range(4)]
    _issue_at_once(live_server, browsers, [draft] * 4)
    db.session.expire_all()
    act = db.session.get(ControlAct, draft.id)
    assert act.status == ActStatus.ISSUED.value and act.seq == 1
    # the refused attempts gave their numbers back: the next act is No. 2
    assert control.issued().seq == 2
    assert len(act.measure_item_ids) == 1  # one set of roadmap measures, not four
