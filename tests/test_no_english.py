"""No English on a Chinese page: sort menus, empty choices, admin column headers, the language menu,
the import command's messages."""

import importlib
import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from excel.imports import RowError

LISTS = ["villages:list", "cadres:list", "leave:list", "spotchecks:list"]


def _selects(html):
    return re.findall(r"<select[^>]*>.*?</select>", html, re.S)


def _translated(msgid):
    with translation.override("zh-hans"):
        return translation.gettext(msgid) != msgid


@pytest.mark.parametrize("name", LISTS)
def test_list_filters_offer_all_and_sort_options_by_their_labels(name, client_for, personas):
    html = client_for(personas["county_admin"]).get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = html.content.decode()
    assert "---------" not in html
    menu = re.search(r'<select name="o"[^>]*>.*?</select>', html, re.S)
    assert menu, "the list can be sorted"
    options = re.findall(r'<option value="(-?)(\w*)"[^>]*>([^<]*)</option>', menu.group(0))
    for _minus, param, label in options:
        if not param:
            continue
        assert label.strip() and label.strip().lower() != param, (param, label)
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", label), label  # never a field name
    if _translated("%s (descending)"):
        assert all(not re.search("[A-Za-z]", label) for _m, _p, label in options), options


@pytest.mark.parametrize("name", ["assignments:dispatch", "leave:new"])
def test_forms_ask_to_choose_instead_of_showing_dashes(name, client_for, personas, make_village):
    make_village()
    html = client_for(personas["county_admin"]).get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = html.content.decode()
    assert "---------" not in "".join(_selects(html))
    if _translated("Please choose"):
        assert ">请选择</option>" in html


def test_the_language_menu_names_each_language_in_its_own_language(client_for, personas):
    client = client_for(personas["county_admin"])
    for lang in ("zh-hans", "en"):
        client.cookies["django_language"] = lang
        html = client.get(reverse("villages:list"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        menu = re.search(r'<select name="language".*?</select>', html, re.S).group(0)
        assert re.findall(r">([^<]+)</option>", menu) == ["简体中文", "English"]


def test_admin_column_headers_of_the_project_are_labels_not_field_names(
    client, make_user, tree, make_village
):
    import datetime

    from accounts.models import Role
    from assignments.models import AttendanceSheet

    make_village()
    AttendanceSheet.objects.create(township=tree["t1"], month=datetime.date(2025, 6, 1))

    superuser = make_user("root", Role.COUNTY_ADMIN, tree["county"], is_superuser=True, is_staff=True)
    client.force_login(superuser)
    own = {"accounts", "villages", "cadres", "assignments", "appraisal", "dashboard", "excel", "demo"}
    for model in admin.site._registry:
        if model._meta.app_label not in own:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        table = re.search(r'<table id="result_list">.*?</thead>', html, re.S)
        if table is None:
            continue  # nothing listed yet: no header row
        heads = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table.group(0), re.S)
        for head in heads:
            text = re.sub(r"<[^>]+>|\s+", " ", head).strip()
            assert not re.search(r"[A-Za-z]{3,}", text.replace("IP", "")), (url, text)


def test_the_import_command_says_which_row_in_words_not_row(tree, make_user):
    command = importlib.import_module("excel.management.commands.import")
    error = RowError(5, "政治面貌", "党外人士", "请填写规定的政治面貌。")
    with translation.override("en"):
        line = command.error_line(error)
        assert line.startswith("Row 5") and "政治面貌" in line and "党外人士" in line
    with translation.override("zh-hans"):
        line = command.error_line(error)
        assert not line.startswith("row ")
        if _translated("Row %(row)d · %(column)s · %(value)s: %(message)s"):
            assert line.startswith("第5行") and "：" in line


def test_admin_forms_ask_to_choose_instead_of_showing_dashes(client, make_user, tree):
    from accounts.models import Role

    superuser = make_user("root", Role.COUNTY_ADMIN, tree["county"], is_superuser=True, is_staff=True)
    client.force_login(superuser)
    for name in ["cadres_cadre_add", "villages_village_add", "accounts_user_add", "cadres_unit_add"]:
        response = client.get(reverse(f"admin:{name}"), HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, name
        assert "---------" not in "".join(_selects(response.content.decode())), name
