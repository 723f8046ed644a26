from pathlib import Path

import pytest
import yaml

from dunops.dns import (
    ZoneFormat,
    detect_format,
    read_bind,
    read_octodns,
    read_zone,
    write_bind,
    write_octodns,
    write_zone,
)
from dunops.dns.formats.yamlfast import load_yaml
from dunops.errors import InvalidInput, ZoneInvalid


def test_tricky_bind_file_reads_every_record(corpus: Path) -> None:
    zone = read_bind((corpus / "tricky.zone").read_text())
    assert zone.origin == "example.com."
    assert zone.soa is not None
    assert zone.soa.values[0].endswith("2024060101 7200 900 1209600 300")
    assert zone.get("example.com.", "NS").values == ("ns1.example.com.", "ns2.example.com.")  # type: ignore[union-attr]
    assert zone.get("example.com.", "MX").ttl == 300  # type: ignore[union-attr]
    assert zone.get("quotes.example.com.", "TXT").values == ('"she said \\"hi\\"back\\\\slashsemi;colon"',)  # type: ignore[union-attr]
    assert zone.get("bytes.example.com.", "TXT").values == ('"caf\\195\\169plain-token"',)  # type: ignore[union-attr]
    dkim = zone.get("sel1._domainkey.example.com.", "TXT")
    assert dkim is not None
    assert dkim.values[0].count('" "') == 1
    assert zone.get("dhcp-4.example.com.", "A").values == ("10.0.0.4",)  # type: ignore[union-attr]
    assert zone.get("ptr012.example.com.", "CNAME") is not None
    assert zone.get("xn--bcher-kva.example.com.", "A") is not None
    assert zone.get("escaped\\.dot.example.com.", "A") is not None
    assert zone.get("abc.example.com.", "A").name == "Abc.example.com."  # type: ignore[union-attr]
    assert zone.get("www.example.com.", "CNAME").ttl == 5400  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["tricky.zone", "minimal.db"])
@pytest.mark.parametrize("fmt", list(ZoneFormat))
def test_corpus_round_trips_through_every_format(corpus: Path, name: str, fmt: ZoneFormat) -> None:
    zone = read_bind((corpus / name).read_text())
    text, report = write_zone(zone, fmt)
    again = read_zone(text, fmt, zone.origin)
    if fmt is ZoneFormat.OCTODNS:
        assert report.dropped == [f"{zone.origin} SOA: octoDNS YAML has no SOA record"]
        zone.soa = None
    assert again == zone


def test_octodns_file_reads_values_forms_metadata_and_escaped_semicolons(corpus: Path) -> None:
    zone = read_octodns((corpus / "octodns.yaml").read_text(), "example.com.")
    assert zone.get("example.com.", "A").ttl == 3600  # type: ignore[union-attr]
    caa = zone.get("example.com.", "CAA")
    assert caa is not None
    assert caa.meta_dict == {"octodns": {"cloudflare": {"proxied": True}}}
    assert zone.get("_dmarc.example.com.", "TXT").values == ('"v=DMARC1; p=none; rua=mailto:d@example.com"',)  # type: ignore[union-attr]
    assert zone.get("*.example.com.", "A") is not None
    assert zone.get("ds.example.com.", "NS") is not None  # the later duplicate key wins, as in PyYAML
    text = write_octodns(zone)
    assert "v=DMARC1\\; p=none\\;" in text
    assert read_octodns(text, "example.com.") == zone
    assert "octodns:\n    cloudflare:\n      proxied: true" in text


def test_written_octodns_yaml_is_what_pyyaml_reads(corpus: Path) -> None:
    zone = read_bind((corpus / "tricky.zone").read_text())
    text = write_octodns(zone)
    assert load_yaml(text) == yaml.safe_load(text)


def test_fast_yaml_loader_agrees_with_pyyaml_on_the_corpus(corpus: Path) -> None:
    for path in corpus.glob("*.yaml"):
        text = path.read_text()
        assert load_yaml(text) == yaml.safe_load(text)
    tricky = "a: yes\nb: 1:20\nc: '1.5'\nd: 1.5\ne: null\nf: ~\n'g': [1, 2]\nh: |\n  x\n"
    assert load_yaml(tricky) == yaml.safe_load(tricky)


def test_bind_errors_are_all_reported_with_file_line_and_column(corpus: Path) -> None:
    with pytest.raises(ZoneInvalid) as caught:
        read_bind((corpus / "broken.zone").read_text(), filename="broken.zone")
    lines = [str(problem) for problem in caught.value.problems]
    assert any(line.startswith("broken.zone:5:7: invalid A value") for line in lines)
    assert any(line.startswith("broken.zone:7:9:") and "closing" in line for line in lines)
    assert any(line.startswith("broken.zone:8:8: expected a record type, found 'BOGUS'") for line in lines)


def test_include_is_refused_unless_a_directory_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "part.zone").write_text("www A 192.0.2.7\n")
    text = "$ORIGIN example.com.\n$TTL 60\n$INCLUDE part.zone\n"
    with pytest.raises(ZoneInvalid, match="1 problem") as caught:
        read_bind(text, filename="main.zone")
    assert "refused" in str(caught.value.problems[0])
    zone = read_bind(text, include_dir=tmp_path)
    assert zone.get("www.example.com.", "A") is not None
    with pytest.raises(ZoneInvalid):
        read_bind("$ORIGIN example.com.\n$TTL 60\n$INCLUDE ../etc/passwd\n", include_dir=tmp_path)


def test_missing_origin_is_explained() -> None:
    with pytest.raises(ZoneInvalid) as caught:
        read_bind("www 60 A 192.0.2.1\n")
    assert "no origin" in str(caught.value.problems[0])
    assert len(read_bind("www 60 A 192.0.2.1\n", "example.com.")) == 1


def test_format_detection_by_extension() -> None:
    assert detect_format("a.zone") is ZoneFormat.BIND
    assert detect_format("a.DB") is ZoneFormat.BIND
    assert detect_format("a.yml") is ZoneFormat.OCTODNS
    assert detect_format("a.json") is ZoneFormat.JSON
    with pytest.raises(InvalidInput, match="--format"):
        detect_format("a.conf")


def test_converting_to_bind_reports_dropped_metadata(corpus: Path) -> None:
    zone = read_octodns((corpus / "octodns.yaml").read_text(), "example.com.")
    text, report = write_zone(zone, ZoneFormat.BIND)
    assert report.dropped == [
        'example.com. CAA: metadata {"octodns":{"cloudflare":{"proxied":true}}} (zone files cannot hold it)'
    ]
    assert "CAA" in write_bind(read_bind(text))


def test_include_cycles_are_refused_not_followed_forever(tmp_path: Path) -> None:
    (tmp_path / "a.zone").write_text("a A 192.0.2.1\n$INCLUDE b.zone\n")
    (tmp_path / "b.zone").write_text("b A 192.0.2.2\n$INCLUDE a.zone\n")
    with pytest.raises(ZoneInvalid) as caught:
        read_bind("$ORIGIN example.com.\n$TTL 60\n$INCLUDE a.zone\n", include_dir=tmp_path)
    assert [problem.message for problem in caught.value.problems] == ["$INCLUDE a.zone includes itself"]
    assert caught.value.problems[0].location == f"{tmp_path / 'b.zone'}:2:1"
