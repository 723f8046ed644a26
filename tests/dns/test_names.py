import pytest

from dunops.dns import InvalidName, absolute_name, display_name, relative_name
from dunops.dns.names import is_subdomain


def test_relative_names_become_absolute_and_keep_their_case() -> None:
    assert absolute_name("Www", "example.com.") == "Www.example.com."
    assert absolute_name("@", "example.com.") == "example.com."
    assert absolute_name("host.Example.NET.", "example.com.") == "host.Example.NET."


def test_unicode_names_become_punycode_and_display_back() -> None:
    name = absolute_name("bücher", "example.com.")
    assert name == "xn--bcher-kva.example.com."
    assert display_name(name) == "bücher.example.com."


def test_escapes_follow_rfc1035() -> None:
    assert absolute_name("a\\.b", "example.com.") == "a\\.b.example.com."
    assert absolute_name("\\065bc", "example.com.") == "Abc.example.com."
    assert relative_name("a\\.b.example.com.", "example.com.") == "a\\.b"
    assert not is_subdomain("x\\.example.com.", "example.com.")


@pytest.mark.parametrize(
    ("text", "reason"),
    [("a" * 64, "longer than 63"), (".".join(["abcdefghi"] * 26), "253"), ("a..b", "empty label")],
)
def test_invalid_names_say_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidName, match=reason):
        absolute_name(text, "example.com.")


def test_relative_name_of_apex_and_outside() -> None:
    assert relative_name("EXAMPLE.com.", "example.com.") == ""
    assert relative_name("other.net.", "example.com.") == "other.net."


def test_an_escaped_final_dot_is_relative() -> None:
    assert absolute_name("foo\\.", "example.com.") == "foo\\..example.com."
    assert absolute_name("foo\\\\.", "example.com.") == "foo\\\\."
    assert absolute_name("foo\\\\\\.", "example.com.") == "foo\\\\\\..example.com."
    assert absolute_name("foo\\046.", "example.com.") == "foo\\.."
