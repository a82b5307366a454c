"""``intranet print act NUMBER`` and ``intranet print acts --year YYYY``."""

from __future__ import annotations

from tests.fixtures.pdf import page_texts, pdf_text


def test_print_one_act_by_its_number(control, runner, tmp_path):
    act = control.issued()
    out = tmp_path / "act.pdf"
    result = runner.invoke(args=["print", "act", act.number, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert f"№ {act.number}" in text and f"хэш {act.content_hash[:10]}" in text
    # the check address is the one recorded when the act was issued
    assert "http://intranet.local/acts/" in text.replace(" ", "")
    assert not (tmp_path / "act.pdf.part").exists()


def test_print_the_acts_of_a_year_each_on_new_pages(control, runner, tmp_path):
    first, second = control.issued(), control.issued()
    control.draft()  # a draft is never printed
    out = tmp_path / "acts.pdf"
    result = runner.invoke(args=["print", "acts", "--year", str(first.year), "--out", str(out)])
    assert result.exit_code == 0, result.output
    pages = page_texts(out.read_bytes())
    firsts = [p for p in pages if "Страница 1 из" in p]
    assert len(firsts) == 2
    assert f"№ {first.number}" in firsts[0] and f"№ {second.number}" in firsts[1]
    assert "ПРОЕКТ" not in " ".join(pages)


def test_nothing_to_print_exits_non_zero_with_one_line(control, runner, tmp_path):
    control.draft()
    out = tmp_path / "none.pdf"
    for args in (["print", "act", "1-1999"], ["print", "act", "junk"],
                 ["print", "acts", "--year", "1999"]):  # fmt: skip
        result = runner.invoke(args=[*args, "--out", str(out)])
        assert result.exit_code == 1, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert not out.exists()
