"""Every page the navigation reaches, for every persona, in Chinese (issue 13, "Guards that keep it so").

For each persona the test opens the home page, reads the links of the main navigation of
templates/base.html, opens each, and from every page it reaches follows the first two links of each
kind of page (a village, a cadre, an assignment, a leave, a sheet, a round, an export job, a
form…), four links deep. Every page that answers with HTML must have:

- a ``<title>`` without markup (no ``<`` and no ``&lt;`` in it);
- no section heading (``h1``/``h2``/``h3``) twice, and none above the page's ``h1`` (item 1: the
  appraisal sections were rendered into the title and the breadcrumbs, a copy above the heading);
- no English word that is a word of a message id of the catalogue or of a model's field name or
  verbose name (the page is in Chinese, so such a word is an untranslated string or a field name
  shown raw); the small allow-list ``ALLOWED_WORDS`` says why each word may stay;
- no choice code (``first_secretary``, ``poverty_exit``, ``term_completed``…) and no ``True``,
  ``False`` or ``None`` shown as text;
- no database id shown as text: every table's ids are moved to a range of their own
  (``ID_BASE`` and up) before the world is built, so a number of that range on a page can only be
  an id.

Only the text a user reads is checked: tags, scripts, styles and attribute values are stripped.
A failure names the persona, the page and the offending text.
"""

import datetime
import re
import sys
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import Resolver404, resolve

from assignments.models import Assignment, AttendanceRecord
from excel import exports
from tests.test_translations import entries as catalogue_entries

from . import matrix_objects as M

# The personas of tests/conftest.py: county admin, township clerk, the clerk of another township,
# the city and the province viewers, the unit liaison.
PERSONAS = ["county_admin", "clerk", "other_clerk", "viewer", "province", "liaison"]
DEPTH = 4  # the navigation's pages and three links further (list → detail → related → its forms)
PER_KIND = 2  # links followed of each kind (e.g. this month's sheet and last month's, with data)
ID_BASE = 7_000_000  # every table's ids start at ID_BASE + n * ID_STEP (see ``distinct_ids``)
ID_STEP = 10_000

# Pages that are not HTML pages to read, or that act: downloads, the log-out, the language switch.
NOT_PAGES = {
    "logout",
    "set_language",
    "excel:export",
    "excel:job_download",
    "excel:import_template",
    "view_on_site",
    # The printed forms as PDF files (Chromium prints them: seconds each); their HTML pages are walked.
    "appraisal:forms_pdf",
    "appraisal:form_pdf",
    "appraisal:letters_pdf",
    "appraisal:letter_pdf",
    "appraisal:experience_pdf",
}
# The admin (reference data) is Django's own, translated by Django: the test opens its index (the
# navigation's link) but does not walk every model's changelist. Its column headers are item 7 of
# issue 13, whose test is that item's own.
NOT_WALKED_PREFIXES = ("/admin/",)

# Words that may stay in a Chinese page, each for a reason. Keep this list small.
ALLOWED_WORDS = {
    "ID",  # as in "ID 尾号": Chinese forms write the resident ID so too
    "Excel",  # the program's name: Excel 导出
    "xlsx",  # the file type an import takes (.xlsx 工作簿)
    "xls",  # and the older one (.xls 工作簿), issue 15
    "CSV",  # and CSV files: the format's own name, as Excel's 另存为 menu shows it
    "PDF",  # the printed forms as files: 下载 PDF, as every office names the format (issue 18)
    "A4",  # the paper size, as Chinese print dialogs and forms write it (A4 纸)
    "UTF",  # UTF-8 and GBK: the encodings, as the 另存为 menu names them (CSV UTF-8)
    "GBK",
    "MB",  # file sizes
    "km",  # distances
    # The day codes of the attendance grid and its legend (P 在村, B 因公外出, L 请假, H 休息日,
    # A 缺勤): the codes a clerk types. Single letters are never checked (see WORD below).
}

# Known exceptions, each for a reason. Keep them few.
KNOWN_EXCEPTIONS = set()  # words
# The language menu names each language in its own language, so "English" stays English there.
KNOWN_EXCEPTION_ELEMENTS = [
    ("select", "name", "language"),
]
# Django's own admin index shows a few untranslated table captions ("Model name", "Add link",
# "Change or view list link"); the project's admin columns are tested in tests/test_no_english.py.
KNOWN_EXCEPTION_WORDS_ON = {
    "/admin/": {"model", "name", "add", "link", "change", "or", "view", "list"},
}
KNOWN_DUPLICATE_HEADINGS = set()
# Sections left out of the English, code and id checks (none: the change history speaks the
# user's words since issue 13 item 6, and is checked like the rest of the page).
SKIPPED_SECTIONS = set()

WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*[A-Za-z0-9]")  # two characters or more
NUMBER = re.compile(r"(?<![\d.\-/])\d+(?![\d.\-/])")
RAW_VALUES = {"True", "False", "None"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# --- what a page shows ---------------------------------------------------------------------------
class Page(HTMLParser):
    """The parts of a page the checks need: title source, headings, readable text, links."""

    def __init__(self, source):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, attrs) of the open elements
        self.title_source = ""
        self.headings = []
        self.levels = []  # h1, h2 or h3, in the order of ``headings``
        self.text = []  # readable text outside the skipped sections
        self.links = []
        self.nav_links = []
        self._heading = None
        m = re.search(r"<title>(.*?)</title>", source, re.S | re.I)
        self.title_source = m.group(1) if m else ""
        self.feed(source)
        self.close()

    def _inside(self, test):
        return any(test(tag, attrs) for tag, attrs in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
            if self._inside(lambda t, a: t == "nav" and "mainnav" in (a.get("class") or "")):
                self.nav_links.append(attrs["href"])
        if tag in VOID:
            return
        self.stack.append((tag, attrs))
        if tag in ("h1", "h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self.levels.append(tag)
            self._heading = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)
        if self._inside(lambda t, a: t in ("script", "style", "title")):
            return
        if self._inside(lambda t, a: a.get("id") in SKIPPED_SECTIONS):
            return
        if self._inside(lambda t, a: any(t == et and a.get(k) == v for et, k, v in KNOWN_EXCEPTION_ELEMENTS)):
            return
        if data.strip():
            self.text.append(data.strip())


# --- what may not show ---------------------------------------------------------------------------
def _words(text):
    return {w.lower() for w in WORD.findall(text)}


def forbidden_words():
    """English words of the catalogue's message ids and of the models' field names and verbose
    names, lower-cased, without the allowed ones."""
    words = set()
    for entry in catalogue_entries():  # the catalogue as tests/test_translations.py reads it
        for msgid in (entry["msgid"], entry.get("msgid_plural", "")):
            words |= _words(re.sub(r"%\(\w+\)[sd]|\{\{.*?\}\}|<[^>]+>", " ", msgid))
    for model in _our_models():
        for field in model._meta.get_fields():
            words.add(field.name.lower())
            words |= _words(str(getattr(field, "verbose_name", "") or "").replace("_", " "))
    return words - {w.lower() for w in ALLOWED_WORDS | KNOWN_EXCEPTIONS}


def choice_codes():
    """The stored values of every choice of our models that a reader could mistake for text."""
    codes = set()
    for model in _our_models():
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str) and WORD.fullmatch(value):
                    codes.add(value)
    return codes - ALLOWED_WORDS - KNOWN_EXCEPTIONS


def _our_models():
    return [
        m
        for label in (
            "accounts",
            "villages",
            "cadres",
            "assignments",
            "appraisal",
            "dashboard",
            "excel",
            "demo",
        )
        for m in apps.get_app_config(label).get_models()
    ]


def problems(page, ids, forbidden, codes, path="", names=frozenset()):
    """What is wrong with a page. ``names`` are the user names of the world's users: a user name
    ("county", "clerk") is shown as who did something and may look like a code."""
    found = []
    exempt = {
        w for prefix, words in KNOWN_EXCEPTION_WORDS_ON.items() if path.startswith(prefix) for w in words
    }
    if "<" in page.title_source or "&lt;" in page.title_source:
        found.append(f"the <title> holds markup: {page.title_source.strip()[:120]!r}")
    if "h1" in page.levels and page.levels[0] != "h1":
        found.append(f"the section {page.headings[0]!r} comes before the page's heading (h1)")
    seen = set()
    for heading in page.headings:
        if heading and heading in seen and heading not in KNOWN_DUPLICATE_HEADINGS:
            found.append(f"the heading {heading!r} appears twice")
        seen.add(heading)
    for chunk in page.text:
        for word in WORD.findall(chunk):
            if word in names or word.lower() in exempt:
                continue
            if word in codes or word in RAW_VALUES:
                found.append(f"a code shown as text: {word!r} in {chunk[:80]!r}")
            elif word.lower() in forbidden and word not in ALLOWED_WORDS | KNOWN_EXCEPTIONS:
                found.append(f"an English word: {word!r} in {chunk[:80]!r}")
        for number in NUMBER.findall(chunk):
            if int(number) in ids:
                found.append(f"a database id shown as text: {number} in {chunk[:80]!r}")
    return found


# --- the world -----------------------------------------------------------------------------------
def _sequences():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema() "
            "ORDER BY sequencename"
        )
        return cursor.fetchall()


def distinct_ids():
    """Move every id sequence to a range of its own, so that a database id on a page is a number
    no count, year, day or code can be. Returns the sequences' old values for ``restore``."""
    old = _sequences()
    with connection.cursor() as cursor:
        for n, (name, _last) in enumerate(old):
            cursor.execute("SELECT setval(%s, %s, false)", [name, ID_BASE + n * ID_STEP])
    return old


def restore(old):
    with connection.cursor() as cursor:
        for name, last in old:
            if last is None:
                cursor.execute("SELECT setval(%s, 1, false)", [name])
            else:
                cursor.execute("SELECT setval(%s, %s, true)", [name, last])


def all_ids():
    ids = set()
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField"):
                cursor.execute(
                    f'SELECT {connection.ops.quote_name(model._meta.pk.column)} FROM "{model._meta.db_table}"'
                )
                ids |= {row[0] for row in cursor.fetchall() if row[0] >= ID_BASE}
    return ids


def _more_of_the_world(world):
    """What the matrix's world lacks and pages show: in the village of t1, a team member of
    another unit (the liaison must not meet them), and ended terms (an end reason is a choice)."""
    admin = world.users["county_admin"]
    village = world.obj["village"]["t1"]
    other_unit = world.obj["assignment"]["t2"].cadre.unit
    member = M._cadre("他单位队员", other_unit, village.township.parent)
    world.put("cadre", "t1_other_unit", member)
    membership = Assignment.dispatch(
        cadre=member,
        village=village,
        role="team_member",
        start_date=datetime.date(2025, 3, 1),
        user=admin,
        dispatch_level="county",
    )
    # Their row on the township's sheet, in its change history too.
    AttendanceRecord.objects.create(
        sheet=world.obj["sheet"]["t1"], assignment=membership, days="P" * 30, required_days=20
    )
    for name, ending in [("期满干部", "term"), ("召回干部", "recall")]:
        cadre = M._cadre(name, world.obj["assignment"]["t1"].cadre.unit, village.township.parent)
        earlier = Assignment.dispatch(
            cadre=cadre,
            village=village,
            role="team_member",
            start_date=datetime.date(2023, 3, 1),
            user=admin,
            dispatch_level="county",
        )
        if ending == "term":
            earlier.end(datetime.date(2025, 2, 28), Assignment.EndReason.TERM_COMPLETED, user=admin)
        else:
            earlier.recall(datetime.date(2024, 6, 30), "群众不满意", admin)


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world of the authorization matrix, built once inside a transaction rolled back at the
    end, with every id in its own range; each persona logs in once."""
    export_dir = tmp_path_factory.mktemp("exports")
    with django_db_blocker.unblock():
        old = distinct_ids()  # setval is not transactional: put back at the end
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                world = M.build(export_dir)
                # The matrix's job has a made-up file name; a real one is named by the export.
                job = world.obj["job"]["job_county_admin"]
                job.filename = exports.filename("roster", "莱阳市", "2026-11-30")
                job.save(update_fields=["filename"])
                _more_of_the_world(world)
                sessions = {}
                for persona in PERSONAS:
                    client = Client()
                    client.force_login(world.users[persona])
                    sessions[persona] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
                ids = all_ids()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(*sys.exc_info())
            restore(old)
            raise
    yield world, sessions, export_dir, ids
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
        restore(old)


@pytest.fixture(scope="module")
def vocabulary(django_db_setup):
    return forbidden_words(), choice_codes()


def _kind(path):
    """The URL pattern's name: the kind of page a link opens (None for another site or an anchor)."""
    if not path.startswith("/"):
        return None
    try:
        match = resolve(path.split("?")[0].split("#")[0])
    except Resolver404:
        return None
    return match.view_name


def crawl(client, check, extra=()):
    """Open the navigation's pages and follow the first PER_KIND links of each kind of page, DEPTH deep.
    Returns {path: [problems]} and the paths opened."""
    home = client.get("/")
    assert home.status_code == 200, f"the home page answers {home.status_code}"
    start = Page(home.content.decode())
    assert start.nav_links, "the home page has no navigation links"
    seen_kinds = {"home"}
    report = {"/": check(start, "/")}
    frontier = list(extra)
    seen_kinds |= {_kind(href) for href in extra}
    visited = {"/", *extra}
    opened = {}  # links followed, by kind
    for href in start.nav_links:
        kind = _kind(href)
        if kind and kind not in NOT_PAGES and href not in visited:
            seen_kinds.add(kind)
            visited.add(href)
            frontier.append(href)
    for depth in range(1, DEPTH + 1):
        following = []
        for path in frontier:
            response = client.get(path, follow=True)  # the attendance link opens this month's sheet
            if response.status_code != 200:
                report[path] = [f"answers {response.status_code} to a link of the navigation"]
                continue
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            page = Page(response.content.decode())
            report[path] = check(page, path)
            if depth == DEPTH or path.startswith(NOT_WALKED_PREFIXES):
                continue
            for href in page.links:
                kind = _kind(href)
                if kind is None or kind in NOT_PAGES or href.startswith(NOT_WALKED_PREFIXES):
                    continue
                href = href.split("#")[0]
                if opened.get(kind, 0) >= PER_KIND or href in visited:
                    continue
                opened[kind] = opened.get(kind, 0) + 1
                seen_kinds.add(kind)
                visited.add(href)
                following.append(href)
        frontier = following
    return report, seen_kinds


def _extra(world, persona):
    """Pages the crawl opens besides the navigation's: a background export's page, which opens
    after the export is asked for (a POST); and the sheet of the world's month, which has rows
    (the navigation opens the current month's)."""
    job = world.obj["job"]["job_county_admin"]
    pages = [f"/exports/jobs/{job.pk}/"] if world.users[persona] == job.user else []
    for place in ("t1", "t2"):
        if persona in M.SEES[place]:
            sheet = world.obj["sheet"][place]
            pages.append(f"/attendance/{sheet.township.code}/{sheet.month:%Y-%m}/")
            break
    return pages


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_the_navigation_reaches_is_readable_in_chinese(persona, built, vocabulary, db):
    world, sessions, _export_dir, ids = built
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")  # in Chinese, whatever the default language
    client.cookies[django_settings.SESSION_COOKIE_NAME] = sessions[persona]
    forbidden, codes = vocabulary
    names = {u.username for u in world.user_model.objects.all()}

    def check(page, path):
        return problems(page, ids, forbidden, codes, path, names)

    with override_settings(EXPORT_DIR=_export_dir, PRIVATE_MEDIA_ROOT=_export_dir):  # diary photos too
        report, _kinds = crawl(client, check, _extra(world, persona))
    failures = [f"{persona} {path}: {p}" for path, found in report.items() for p in found]
    assert not failures, f"{len(failures)} problem(s) on {persona}'s pages:\n" + "\n".join(failures)


@pytest.mark.parametrize("page", ["village", "sheet"])
def test_a_liaison_meets_on_village_and_sheet_pages_only_the_cadres_of_its_unit(page, built, db):
    """The village page and the township's sheet list what the user sees: a liaison sees the
    village and the sheet of its cadre, and neither the names nor the links (which answer it 404)
    of another unit's cadres serving there — not in the sheet's rows, not in its change history."""
    world, sessions, _export_dir, _ids = built
    village = world.obj["village"]["t1"]
    sheet = world.obj["sheet"]["t1"]
    path = {
        "village": f"/villages/{village.code}/",
        "sheet": f"/attendance/{sheet.township.code}/{sheet.month:%Y-%m}/",
    }[page]
    pages = {}
    for persona in ("liaison", "clerk"):
        client = Client()
        client.cookies[django_settings.SESSION_COOKIE_NAME] = sessions[persona]
        response = client.get(path)
        assert response.status_code == 200
        pages[persona] = response.content.decode()
    assert world.obj["cadre"]["t1"].name in pages["liaison"]
    assert "他单位队员" not in pages["liaison"]
    assert "他单位队员" in pages["clerk"]


def test_the_walk_reaches_the_detail_pages_of_every_kind(built, vocabulary, db):
    """The crawl is only a guard if it gets to the pages: the county admin reaches each kind."""
    _world, sessions, export_dir, ids = built
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = sessions["county_admin"]
    with override_settings(EXPORT_DIR=export_dir):
        _report, kinds = crawl(client, lambda page, path: [], _extra(_world, "county_admin"))
    expected = {
        "villages:detail",
        "cadres:detail",
        "assignments:detail",
        "leave:detail",
        "spotchecks:list",
        "attendance:sheet",
        "appraisal:round",
        "excel:job",
        "excel:import",
        "todos",
    }
    assert expected <= kinds, f"never reached: {sorted(expected - kinds)}"


def test_the_checks_catch_what_they_are_for(vocabulary):
    """The checks themselves: each kind of fault in a made-up page is found."""
    forbidden, codes = vocabulary
    source = (
        "<html><head><title>&lt;section&gt; 村</title></head><body>"
        "<h2>考核</h2><p>role: first_secretary, True</p><h2>考核</h2>"
        "<p>记录 7000123</p><div id='history'><p>status: poverty_exit</p></div>"
        "<script>var Village = 1;</script><a href='/' title='Village'>村</a></body></html>"
    )
    found = problems(Page(source), {7000123}, forbidden, codes)
    text = "\n".join(found)
    assert "<title> holds markup" in text
    assert "'考核' appears twice" in text
    assert "comes before the page's heading" not in text  # no h1: nothing to be above
    above = problems(Page("<main><h2>考核结果</h2><h1>张伟</h1></main>"), set(), forbidden, codes)
    assert above == ["the section '考核结果' comes before the page's heading (h1)"]
    assert "'first_secretary'" in text and "'True'" in text
    assert "'role'" in text  # a field name / message-id word
    assert "7000123" in text
    assert "status: poverty_exit" in text  # the change history is checked like the rest of the page
    assert "Village" not in text  # scripts and attribute values are not text
