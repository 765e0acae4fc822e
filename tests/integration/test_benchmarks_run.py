"""The benchmarks run end to end on a tiny input, so `make bench` and `make coldstart` never rot.

Nothing here judges speed (that is the benchmarks' job, on a quiet machine); what is checked
is that every row is produced, each verifier passes the correctness gate that guards its
timing, and the JSON reports name every target.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import backend_api, coldstart, construction, verify_token, webhooks


def _document(path: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_verify_token_times_acceptances_and_both_rejection_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "verify.json"
    assert verify_token.main(["--tokens", "4", "--repeats", "1", "--no-official", "--json", str(out)]) == 0
    document = _document(out)
    results = document["results"]
    assert isinstance(results, dict)
    for path in verify_token.REJECTIONS:
        for name in verify_token.REJECTING:
            assert f"{name} / {path}" in results
    targets = document["targets"]
    assert isinstance(targets, dict)
    assert {f"{path} <= 1.10x minimal" for path in verify_token.REJECTIONS} <= set(targets)
    assert "rejecting: flipped signature bit" in capsys.readouterr().out


def test_a_verifier_that_accepts_a_token_to_refuse_stops_the_rejection_benchmark() -> None:
    refuse = verify_token.rejecting("lenient", lambda token: {"sub": "user_2x"})
    with pytest.raises(AssertionError, match="lenient accepted"):
        refuse("anything")


def test_construction_reports_every_client_row(tmp_path: Path) -> None:
    out = tmp_path / "construction.json"
    assert construction.main(["--per-pass", "3", "--repeats", "1", "--no-official", "--json", str(out)]) == 0
    results = _document(out)["results"]
    assert isinstance(results, dict)
    assert {construction.PEM_CLIENT, "AsyncClerk(jwt_key=PEM)", construction.PER_REQUEST} <= set(results)


def test_coldstart_reports_in_process_and_whole_process_figures(tmp_path: Path) -> None:
    out = tmp_path / "coldstart.json"
    assert coldstart.main(["--runs", "1", "--no-official", "--json", str(out)]) == 0
    document = _document(out)
    targets = document["targets"]
    assert isinstance(targets, dict) and len(targets) == 2
    results = document["results"]
    assert isinstance(results, dict)
    whole = results[coldstart.WHOLE]
    assert isinstance(whole, dict)
    assert 0 < whole["teardown"][0] < whole["wall"][0]
    assert isinstance(document["net_wall_ms"], float)


def test_backend_api_benchmark_decodes_round_trips_and_cold_starts(tmp_path: Path) -> None:
    out = tmp_path / "backend_api.json"
    argv = ["--repeats", "1", "--calls", "2", "--decodes", "1", "--runs", "1", "--no-official", "--json", str(out)]
    assert backend_api.main(argv) == 0
    results = _document(out)["results"]
    assert isinstance(results, dict)
    assert set(results["decode_us"]) == {backend_api.CLERK_CORE}
    assert set(results["round_trip_us"]) == {backend_api.CLERK_CORE, backend_api.FLOOR}
    assert set(results["cold_start_wall_ms"]) == {"interpreter only", backend_api.CLERK_CORE}


def test_webhooks_times_acceptances_and_refusals_for_every_row(tmp_path: Path) -> None:
    out = tmp_path / "webhooks.json"
    assert webhooks.main(["--deliveries", "3", "--repeats", "1", "--json", str(out)]) == 0
    document = _document(out)
    results = document["results"]
    assert isinstance(results, dict)
    assert {f"accept / {webhooks.OURS}", f"refuse / {webhooks.OURS}", f"accept / {webhooks.FLOOR}"} <= set(results)
    assert document["config"]["body_bytes"] == webhooks.BODY_SIZE  # type: ignore[index]


def test_a_webhook_verifier_that_accepts_a_bad_delivery_stops_the_benchmark() -> None:
    lenient = webhooks.refusing({"lenient": lambda msg_id: {"type": "user.created"}})["lenient"]
    with pytest.raises(AssertionError, match="lenient accepted"):
        lenient("msg_1")
