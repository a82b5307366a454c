"""What travels over a slow link: compressed pages, static files cached for a year under
names that carry their content hash, and ETags that every app server agrees on."""

from __future__ import annotations

import gzip
import hashlib
import os
import re

from intranet import ROOT, create_app
from intranet.auth.roles import Role

ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def test_pages_are_gzipped_when_the_browser_asks_and_plain_when_it_does_not(client, make, login_as):
    admin = make.user(Role.DISTRICT_ADMIN)
    for _ in range(20):
        make.school(admin.district)  # a page long enough to be worth compressing
    login_as(admin)
    asked = client.get("/schools/", headers={"Accept-Encoding": "gzip, deflate"})
    assert asked.status_code == 200
    assert asked.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in asked.headers["Vary"]
    html = gzip.decompress(asked.get_data()).decode()
    assert "<table" in html and "</html>" in html
    assert int(asked.headers["Content-Length"]) == len(asked.get_data()) < len(html.encode())

    plain = client.get("/schools/")
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data(as_text=True).startswith("<!doctype html>")


def test_static_urls_carry_the_content_hash_and_are_cached_for_a_year(client):
    html = client.get("/login").get_data(as_text=True)
    assets = ASSET_RE.findall(html)
    css = [a for a in assets if a.endswith(".css")]
    assert len(css) == 1
    digest = hashlib.sha256((ROOT / "static/app.css").read_bytes()).hexdigest()[:12]
    assert css[0] == f"/static/app.{digest}.css"
    assert all(re.search(r"\.[0-9a-f]{12}\.(css|js)$", a) for a in assets), assets
    for url in assets:
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Encoding"] == "gzip"
    # The plain name, or another version's hash, still answers, but is revalidated.
    for url in ("/static/app.css", "/static/app.000000000000.css"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
        assert response.get_data() == (ROOT / "static/app.css").read_bytes()
    assert client.get("/static/nothing.css").status_code == 404


def _static(app, name: str):
    client = app.test_client()
    with app.test_request_context():
        from flask import url_for

        url = url_for("static", filename=name)
    return url, client.get(url, headers={"Accept-Encoding": "gzip"})


def test_two_app_servers_give_the_same_etag_whatever_the_file_times(database_url):
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"}
    path = ROOT / "static/app.js"
    times = path.stat()
    one = create_app(config)
    try:
        # The second server's copy of the files was made at another time.
        os.utime(path, (times.st_atime, times.st_mtime - 86_400))
        two = create_app(config)
    finally:
        os.utime(path, (times.st_atime, times.st_mtime))
    url_one, first = _static(one, "app.js")
    url_two, second = _static(two, "app.js")
    assert url_one == url_two
    assert first.headers["ETag"] == second.headers["ETag"]
    plain_one = one.test_client().get("/static/app.js")
    plain_two = two.test_client().get("/static/app.js")
    assert plain_one.headers["ETag"] == plain_two.headers["ETag"]
    # A browser that has the file gets "not modified" from either server.
    again = two.test_client().get(
        url_one, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.get_data() == b""
