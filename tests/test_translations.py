"""The Simplified Chinese catalogue is complete, compiled, and the default language."""

import ast
import gettext
from pathlib import Path

from django.urls import reverse
from django.utils import translation

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries():
    """Each entry of the .po file as a dict: flags, msgctxt, msgid, msgid_plural, msgstrs."""
    found = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        entry, key = {"flags": "", "msgstrs": []}, None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if key == "msgstr":
                    entry["msgstrs"][-1] += ast.literal_eval(line)
                else:
                    entry[key] += ast.literal_eval(line)
            else:
                key, value = line.split(" ", 1)
                if key.startswith("msgstr"):
                    key = "msgstr"
                    entry["msgstrs"].append(ast.literal_eval(value))
                else:
                    entry[key] = ast.literal_eval(value)
        if entry.get("msgid"):
            found.append(entry)
    return found


def test_every_message_has_a_chinese_translation_and_none_is_fuzzy():
    missing = [e["msgid"] for e in entries() if not all(e["msgstrs"]) or "fuzzy" in e["flags"]]
    assert not missing, missing[:20]


def test_compiled_catalogue_matches_the_po_file():
    mo = gettext.GNUTranslations(PO.with_suffix(".mo").open("rb"))
    stale = []
    for e in entries():
        if "msgid_plural" in e:
            continue
        key = f"{e['msgctxt']}\x04{e['msgid']}" if "msgctxt" in e else e["msgid"]
        if mo._catalog.get(key) != e["msgstrs"][0]:
            stale.append(e["msgid"])
    assert not stale, f"run compilemessages: {stale[:10]}"


def test_pages_are_in_chinese_by_default(client_for, personas):
    client = client_for(personas["county_admin"])
    body = client.get(reverse("villages:list")).content.decode()
    with translation.override("zh-hans"):
        label = translation.gettext("Villages")
    assert label != "Villages" and label in body


def test_english_is_selectable(client_for, personas):
    client = client_for(personas["county_admin"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Villages" in client.get(reverse("villages:list")).content.decode()


def test_the_appraisal_and_category_words_are_the_seeds_own():
    # Seed 001: 半年专项考察, 期满考核, 乡村振兴任务重的村; the grade given to those who cannot be
    # graded is 不确定等次. A word of our own (检查, 任期考核, 不定等次) reads as another thing.
    from appraisal.models import AppraisalRound, Grade, Inspection
    from villages.models import Village

    with translation.override("zh-hans"):
        assert str(Inspection._meta.verbose_name) == "半年专项考察"
        assert str(AppraisalRound.Kind.TERM_END.label) == "期满考核"
        assert str(Grade.UNGRADED.label) == "不确定等次"
        assert str(Village.Category.REVITALIZATION.label) == "乡村振兴任务重的村"
        catalogue = " ".join(s for e in entries() for s in e["msgstrs"])
    for wrong in ("专项检查", "任期考核", "不定等次", "乡村振兴重点帮扶村"):
        assert wrong not in catalogue, wrong
