"""The web API: figures for good requests, 4xx (never 5xx) for bad ones, including fuzzed bodies."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from trillion.web.app import create_app


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(), base_url="http://127.0.0.1", raise_server_exceptions=False)


def test_page_and_lists(client):
    page = client.get("/")
    assert (
        page.status_code == 200
        and "<form" in page.text
        and "http" not in page.text.split("<script>")[0].split("<style>")[0][50:]
    )
    assert any(m["name"] == "qwen3-max" for m in client.get("/api/models").json())
    assert any(a["name"] == "h100-sxm" for a in client.get("/api/hardware").json())


def test_plan_mirrors_the_report(client):
    r = client.post(
        "/api/plan",
        json={"model": "llama-3.1-8b", "gpu": "h100", "gpus": 256, "tokens": "2T", "region": "FRA"},
    )
    assert r.status_code == 200
    d = r.json()
    assert d["training"]["tokens"]["value"] == 2 * 10**12 and d["footprint"]["energy_mwh"]["value"]["p50"] > 0
    more = client.post(
        "/api/plan",
        json={"model": "llama-3.1-8b", "gpu": "h100", "gpus": 256, "tokens": "4T", "region": "FRA"},
    ).json()
    assert more["footprint"]["energy_mwh"]["value"]["p50"] > d["footprint"]["energy_mwh"]["value"]["p50"]


def test_pasted_config(client):
    cfg = {"model_type": "llama", "vocab_size": 32000, "hidden_size": 1024, "intermediate_size": 2816,
           "num_hidden_layers": 8, "num_attention_heads": 16, "num_key_value_heads": 4}  # fmt: skip
    r = client.post("/api/plan", json={"config": json.dumps(cfg), "gpus": 8, "tokens": "20B"})
    assert r.status_code == 200 and r.json()["architecture"]["total_params"]["value"] > 1e8


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"model": "no-such-model"}, "no-such-model"),
        ({"config": "{not json"}, "config.json: is not valid JSON"),
        ({"config": json.dumps({"model_type": "llama", "hidden_size": -4})}, "config.json"),
        ({"gpus": -1}, "gpus: must be between"),
        ({"gpus": 10**12}, "gpus: must be between"),
        ({"tokens": "1e30"}, "tokens: must be between"),
        ({"tokens": "banana"}, "tokens"),
        ({"region": "Atlantis"}, "unknown region 'Atlantis'"),
        ({"weights": "int3"}, "weights"),
        ({"gpu": "warp-drive"}, "warp-drive"),
        ({"model": "../../etc/passwd"}, "not paths"),
    ],
)
def test_bad_requests_are_4xx_with_a_message(client, body, needle):
    r = client.post("/api/plan", json=body)
    assert 400 <= r.status_code < 500 and needle in r.json()["error"]


def test_malformed_and_oversized_bodies(client):
    assert (
        client.post("/api/plan", content=b"{", headers={"content-type": "application/json"}).status_code
        == 422
    )
    assert (
        client.post("/api/plan", content=b"[1, 2]", headers={"content-type": "application/json"}).status_code
        == 400
    )
    big = b'{"config": "' + b"x" * 400_000 + b'"}'
    assert (
        client.post("/api/plan", content=big, headers={"content-type": "application/json"}).status_code == 413
    )


values = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True), st.text(max_size=20),
                   st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(["model", "gpu", "gpus", "tokens", "region", "weights", "config"]), values, max_size=5
    )
)
def test_fuzzed_requests_never_500(client, body):
    r = client.post(
        "/api/plan", content=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code < 500, (body, r.text[:300])


def test_concurrent_requests_all_answer_and_agree():
    """Forty requests at once (twenty distinct plans, each twice) through one app: each answers 200
    or sheds load with 503 + Retry-After (at most 8 distinct plans wait), never a 500; twins agree,
    and every shed request succeeds when retried. Before plans ran under the chart lock,
    matplotlib's shared state gave 500s here."""
    from concurrent.futures import ThreadPoolExecutor

    bodies = [{"model": "llama-3.1-8b", "gpus": 64 + 8 * (i % 20), "tokens": "1T"} for i in range(40)]
    with TestClient(create_app(), base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda b: c.post("/api/plan", json=b), bodies))
        assert {r.status_code for r in answers} <= {200, 503}
        assert all(int(r.headers["retry-after"]) >= 1 for r in answers if r.status_code == 503)
        answers = [
            r if r.status_code == 200 else c.post("/api/plan", json=b)
            for r, b in zip(answers, bodies, strict=True)
        ]
    assert [r.status_code for r in answers] == [200] * 40
    for i in range(20):
        assert answers[i].json() == answers[i + 20].json()


def test_answers_are_strict_json():
    from trillion.io.files import dumps_strict

    assert json.loads(dumps_strict({"a": float("nan"), "b": [1.5, float("inf")], "c": (2, "x")})) == {
        "a": None, "b": [1.5, None], "c": [2, "x"]}  # fmt: skip
    assert "NaN" not in dumps_strict({"x": float("nan")}) and "\\ud800" in dumps_strict({"s": "\ud800"})


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"models": ["gemni-ultra"]}, 400, "did you mean"),
        ({"models": "gpt-4"}, 422, "list of 1-12"),
        ({"models": []}, 422, "list of 1-12"),
        ({"models": ["gpt-4"] * 13}, 422, "list of 1-12"),
        ({"models": ["../../etc/passwd"]}, 422, "model name"),
        ({"models": ["x" * 201]}, 422, "model name"),
        ({"models": [7]}, 422, "model name"),
        ([1, 2], 422, "JSON object"),
    ],
)
def test_compare_refuses_bad_requests(client, body, status, needle):
    r = client.post("/api/compare", json=body)
    assert r.status_code == status and needle in r.json()["error"], r.text


def test_compare_answers_like_for_like_groups_and_a_page(client):
    r = client.post("/api/compare", json={"models": ["gemini-ultra", "gpt-4"]})
    assert r.status_code == 200
    data = r.json()
    assert [m["name"] for m in data["models"]] == ["gemini-1.0-ultra", "gpt-4"]
    assert data["groups"] and data["html"].startswith("<!doctype html>")
    page = client.get("/compare")
    assert page.status_code == 200 and "Benchmarks, like for like" in page.text
