"""The dispatch page's cadre search as one types (static/js/picker.js), and "Find" without it."""

from assignments.models import Assignment


def visible_cadres(page):
    return page.eval_on_selector(
        "#id_cadre", "s => Array.from(s.options).filter(o => o.value && !o.hidden).map(o => o.text)"
    )


def test_typing_a_name_or_an_id_tail_narrows_the_cadre_list_and_the_dispatch_goes_through(
    login, personas, make_village, make_cadre, live_server
):
    village = make_village(name="无人村", categories=("weak_org",))
    wanted, other = make_cadre(name="李建国"), make_cadre(name="王秀英")
    page = login(personas["county_admin"])
    page.goto(f"{live_server.url}/assignments/dispatch/?village={village.code}&role=first_secretary")
    assert len(visible_cadres(page)) == 2
    page.fill("#id_q", "建国")
    assert [t.split("（")[0] for t in visible_cadres(page)] == ["李建国"]
    assert "1" in page.inner_text("#id_q_note")
    page.fill("#id_q", other.id_number[-4:])
    assert [t.split("（")[0] for t in visible_cadres(page)] == ["王秀英"]
    page.fill("#id_q", "")
    assert len(visible_cadres(page)) == 2
    # "Find" asks the server, keeping what is entered.
    page.fill("#id_batch", "2026年第二批")
    page.fill("#id_q", wanted.id_number[-6:])
    page.click("button[name=find]")
    page.wait_for_load_state()
    assert [t.split("（")[0] for t in visible_cadres(page)] == ["李建国"]
    assert page.input_value("#id_batch") == "2026年第二批"
    page.select_option("#id_cadre", str(wanted.pk))
    page.click("form button[type=submit].primary")
    page.wait_for_selector(".msg-success")
    assert Assignment.objects.get(village=village).cadre == wanted
