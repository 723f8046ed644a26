"""The offline planner: the embedded default, with no model and no network.

It understands the common requests (what a name points to, records of a type, the mail setup, whether a
DMARC, SPF or CAA record exists; point a name to addresses, add or remove a record, change a TTL, add an
MX host, add an SPF include, set the CAA issuer, add a verification TXT, delete a name) and answers them
with the same tools a model would call, one step at a time. It reads only the member's question and the
structured fields of tool results: record content is never read as an instruction. Anything else gets
an honest answer that it needs a language model for that, and what it can do.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dunops.agent.backends import ModelReply, Stream, ToolCall, Transcript
from dunops.agent.tools import ToolSpec

MODEL = "offline-planner"
TYPES = ("AAAA", "A", "CNAME", "MX", "TXT", "NS", "CAA", "SRV", "PTR")
_TYPE = r"(aaaa|a|cname|mx|txt|ns|caa|srv|ptr)"
_NAME = r"([a-z0-9_*@][a-z0-9_.*-]*)"
_DOMAIN = re.compile(r"\b(?:[a-z0-9_*-]+\.)+[a-z][a-z0-9-]*[a-z0-9]\.?(?=[\s,;:?!'\")]|$)")

CAPABILITIES = (
    "what does NAME point to; list the TYPE records; show the mail setup; is there a DMARC (SPF, CAA) "
    "record; point NAME to IP addresses; add a TYPE record for NAME with VALUE; remove the TYPE record "
    "of NAME (with VALUE); change the TTL of NAME (TYPE) to SECONDS; add an MX host HOST with priority N; "
    "add SPF include DOMAIN; set the CAA issuer to CA; add a verification TXT VALUE; delete NAME"
)
NEEDS_MODEL = (
    "I can't do that without a language model (this DunOps runs the offline planner). "
    f"Here is what I can do: {CAPABILITIES}."
)
REFUSE_REVIEW = (
    "I can't approve, apply, reject or cancel changes, and no tool lets me: only a person does that, by "
    "reviewing the exact plan hash. I can propose a change for you to review."
)
REFUSE_SECRETS = (
    "I can't read or share secrets, API keys, passwords, tokens or connection credentials; no tool gives "
    "me access to them."
)


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    arguments: dict[str, Any]
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Intent:
    kind: str
    name: str = ""
    rtype: str = ""
    values: tuple[str, ...] = ()
    ttl: int | None = None
    priority: int | None = None


def _parse(question: str) -> Intent | None:
    text = " ".join(question.strip().rstrip("?.!").split())
    low = text.lower()
    if re.search(r"\b(approve|apply|deploy|reject|cancel|merge)\b", low):
        return Intent("refuse_review")
    if re.search(r"\b(secrets?|api[ _-]?keys?|passwords?|tokens?|credentials?|tsig)\b", low):
        return Intent("refuse_secrets")
    if m := re.search(r"\bpoint " + _NAME + r" (?:to|at) (.+)$", low):
        addresses = tuple(_addresses(m.group(2)))
        return Intent("point", m.group(1), values=addresses) if addresses else None
    if m := re.search(r"\b(?:change|set|update) (?:the )?ttl (?:of |for |on )?(?:the )?(.+?) to (\d+)", low):
        words = m.group(1).split()
        rtype = next((w.upper() for w in words if w.upper() in TYPES), "")
        names = [
            w for w in words if w.upper() not in TYPES and w not in ("record", "records", "of", "for", "at")
        ]
        return Intent("ttl", names[0] if names else "@", rtype, ttl=int(m.group(2))) if names else None
    if m := re.search(
        r"\badd (?:an? |another )?mx (?:record |host |server |entry )?(?:for \S+ )?(?:pointing to |to )?"
        + _NAME
        + r"(?: with)? (?:priority|preference|pref) (\d+)",
        low,
    ):
        return Intent("mx", "@", "MX", (m.group(1),), priority=int(m.group(2)))
    if "spf" in low and (m := re.search(r"\binclude:?\s*" + _NAME, low)) and re.search(r"\badd\b", low):
        return Intent("spf_include", "@", "TXT", (m.group(1).rstrip("."),))
    if m := re.search(r"\bset (?:the )?caa(?: issuer| record)?(?: to| for)? ([a-z0-9.-]+)", low) or re.search(
        r"\ballow ([a-z0-9.-]+) to issue", low
    ):
        return Intent("caa", "@", "CAA", (m.group(1).rstrip("."),))
    if m := re.search(
        r"\badd (?:an? |the )?(?:[a-z0-9-]+ )?(?:site )?verification (?:txt )?(?:record )?"
        r"(?:(?:at|for|on) " + _NAME + r" )?(?:with (?:the )?value |value |of )?(\S+)$",
        text,
        re.IGNORECASE,
    ):
        return Intent("verification", (m.group(1) or "@").lower(), "TXT", (m.group(2),))
    if m := re.search(
        r"\badd (?:an? |another )?"
        + _TYPE
        + r" record (?:for |at |named |called |on )?"
        + _NAME
        + r" (?:with (?:the )?(?:value |address )?|pointing to |to |=\s*|value )?(.+?)(?: with ttl (\d+))?$",
        text,
        re.IGNORECASE,
    ):
        value = m.group(3).strip().strip("'")
        ttl = int(m.group(4)) if m.group(4) else None
        return Intent("add", m.group(2).lower(), m.group(1).upper(), (value,), ttl=ttl)
    if m := re.search(
        r"\b(?:remove|delete|drop) (?:the |an? )?"
        + _TYPE
        + r" records? (?:of |for |at |on |named )?"
        + _NAME
        + r"(?: (?:with (?:the )?)?(?:value |address )?(.+))?$",
        text,
        re.IGNORECASE,
    ):
        values = (m.group(3).strip().strip("'"),) if m.group(3) else ()
        return Intent("remove", m.group(2).lower(), m.group(1).upper(), values)
    if m := re.search(
        r"\b(?:delete|remove) (?:the name |name |everything at |all records (?:at|of|for) )?" + _NAME + r"$",
        low,
    ):
        return Intent("delete_name", m.group(1))
    if m := re.search(r"\bwhat (?:does|do) " + _NAME + r" (?:point|resolve|go) to", low) or re.search(
        r"\bwhere does " + _NAME + r" point", low
    ):
        return Intent("lookup", m.group(1))
    if m := re.search(
        r"\bwhat do (?:the )?(?:live )?servers (?:answer|serve|say) for " + _NAME + r"(?: " + _TYPE + r")?",
        low,
    ):
        return Intent("live", m.group(1), (m.group(2) or "A").upper())
    if re.search(r"\b(mail|email|e-mail) (setup|set-up|configuration|config|settings)\b", low) or re.search(
        r"\bhow is (e-?)?mail\b", low
    ):
        return Intent("mail")
    if m := re.search(r"\b(?:is there|do we have|does \S+ have|have we got|any)\b.*\b(dmarc|spf|caa)\b", low):
        return Intent("presence", rtype=m.group(1).upper())
    if m := re.search(r"\b(?:list|show|which|what are)\b.*?\b" + _TYPE + r" records?\b", low):
        return Intent("list", rtype=m.group(1).upper())
    if re.search(r"\b(?:list|show) (?:me )?(?:all )?(?:the )?records\b", low):
        return Intent("list")
    if re.search(r"\b(?:list|show|which|what) (?:are )?(?:my |the |our )?zones\b", low):
        return Intent("zones")
    return None


def _addresses(text: str) -> list[str]:
    found = []
    for token in re.split(r"[\s,;]+|\band\b", text):
        token = token.strip().strip(".")
        try:
            found.append(str(ipaddress.ip_address(token)))
        except ValueError:
            continue
    return found


def _question(transcript: Transcript) -> tuple[str, list[Result]]:
    """The member's latest question and the results of the tool calls made for it so far."""
    last = max(i for i, item in enumerate(transcript) if item["role"] == "user")
    results = []
    for item in transcript[last + 1 :]:
        if item["role"] == "tool":
            try:
                data = json.loads(item["content"])
            except ValueError:
                data = {}
            arguments = item.get("arguments")
            results.append(
                Result(
                    str(item.get("name", "")),
                    dict(arguments) if isinstance(arguments, Mapping) else {},
                    dict(data.get("data", data)) if isinstance(data, Mapping) else {},
                )
            )
    return str(transcript[last]["content"]), results


class OfflinePlanner:
    name = "offline"

    def stream(self, system: str, transcript: Transcript, tools: Sequence[ToolSpec]) -> Stream:
        """The planner writes its whole answer at once; it is sent in word-sized pieces only so a chat
        shows it the way it shows a model's streamed answer (nothing is generated token by token)."""
        question, results = _question(transcript)
        step = _Step(question, results)
        text, calls = step.next()
        yield from re.findall(r"\S+\s*|\s+", text)
        yield ModelReply(
            text=text,
            model=MODEL,
            tool_calls=[
                ToolCall(f"offline-{len(results) + n}", name, args) for n, (name, args) in enumerate(calls)
            ],
        )


Call = tuple[str, dict[str, Any]]


class _Step:
    """One step of the plan for a question: the next tool call, or the answer."""

    def __init__(self, question: str, results: list[Result]) -> None:
        self.question = question
        self.results = results
        self.intent = _parse(question)

    def next(self) -> tuple[str, list[Call]]:
        intent = self.intent
        if intent is None:
            return NEEDS_MODEL, []
        if intent.kind == "refuse_review":
            return REFUSE_REVIEW, []
        if intent.kind == "refuse_secrets":
            return REFUSE_SECRETS, []
        if not self.results:
            return "", [("list_zones", {})]
        zones = [z["zone"] for z in self.results[0].data.get("zones", [])]
        if intent.kind == "zones":
            return (
                "Your zones: " + ", ".join(zones) + "."
            ) if zones else "This workspace has no zones yet.", []
        zone, why = self._zone(zones, intent)
        if zone is None:
            return why, []
        name = _relative(intent.name, zone) if intent.name else "@"
        later = self.results[1:]
        handler = getattr(self, f"_{intent.kind}")
        answer: tuple[str, list[Call]] = handler(zone, name, intent, later)
        return answer

    # -- choosing the zone -------------------------------------------------------------------------

    def _zone(self, zones: list[str], intent: Intent) -> tuple[str | None, str]:
        low = self.question.lower()
        mentioned = [d.rstrip(".") for d in _DOMAIN.findall(low)]
        candidates = set(mentioned)
        if intent.name and "." in intent.name:
            candidates.add(intent.name.rstrip("."))
        for domain in sorted(candidates, key=len, reverse=True):
            owning = [z for z in zones if domain == z or domain.endswith("." + z)]
            if owning:
                return max(owning, key=len), ""
        if intent.name and "." in intent.name.rstrip(".") and not intent.name.startswith("_"):
            return None, f"I can't see a zone holding {intent.name.rstrip('.')} in this workspace."
        named = re.search(r"\b(?:in|of|for|on|zone) (?:the )?(?:zone )?(" + _DOMAIN.pattern[2:] + ")", low)
        if named and named.group(1).rstrip(".") not in intent.values:
            return None, f"I can't see a zone named {named.group(1).rstrip('.')} in this workspace."
        if len(zones) == 1:
            return zones[0], ""
        if not zones:
            return None, "This workspace has no zones yet: import one first."
        return None, "Which zone do you mean? This workspace has: " + ", ".join(zones) + "."

    # -- questions ---------------------------------------------------------------------------------

    def _found(self, later: list[Result]) -> list[dict[str, Any]] | None:
        for result in later:
            if result.name == "find_records":
                records: list[dict[str, Any]] = result.data.get("records", [])
                return records
        return None

    def _lookup(self, zone: str, name: str, intent: Intent, later: list[Result]) -> tuple[str, list[Call]]:
        records = self._found(later)
        if records is None:
            return "", [("find_records", {"zone": zone, "name": name})]
        shown = _absolute(name, zone)
        if not records:
            return f"There is no record at {shown} in zone {zone}.", []
        lines = [f"{r['type']} {', '.join(r['values'])} (TTL {r['ttl']})" for r in records]
        return f"{shown} has: " + "; ".join(lines) + ".", []

    def _live(self, zone: str, name: str, intent: Intent, later: list[Result]) -> tuple[str, list[Call]]:
        if not later:
            return "", [("lookup_live", {"zone": zone, "name": name, "type": intent.rtype})]
        data = later[0].data
        if "error" in data:
            return f"I could not ask the servers: {data['error']}.", []
        parts = [
            f"{a['server']}: " + (", ".join(a.get("values", [])) or "nothing")
            if a.get("answered")
            else f"{a['server']}: no answer"
            for a in data.get("answers", [])
        ]
        return f"The servers answer for {_absolute(name, zone)} {intent.rtype}: " + "; ".join(parts) + ".", []

    def _list(self, zone: str, name: str, intent: Intent, later: list[Result]) -> tuple[str, list[Call]]:
        records = self._found(later)
        if records is None:
            arguments: dict[str, Any] = {"zone": zone, "limit": 200}
            if intent.rtype:
                arguments["type"] = intent.rtype
            return "", [("find_records", arguments)]
        what = f"{intent.rtype} records" if intent.rtype else "records"
        if not records:
            return f"Zone {zone} has no {what}.", []
        lines = [f"{r['name']} {r['ttl']} {r['type']} {' | '.join(r['values'])}" for r in records]
        return f"The {what} of {zone}:\n" + "\n".join(lines), []

    def _summary(self, zone: str, later: list[Result]) -> dict[str, Any] | None:
        for result in later:
            if result.name == "zone_summary":
                return result.data
        return None

    def _mail(self, zone: str, name: str, intent: Intent, later: list[Result]) -> tuple[str, list[Call]]:
        summary = self._summary(zone, later)
        if summary is None:
            return "", [("zone_summary", {"zone": zone})]
        mail = summary.get("mail", {})
        mx = ", ".join(mail.get("mx", [])) or "none"
        spf = "; ".join(mail.get("spf", [])) or "none"
        dmarc = "; ".join(mail.get("dmarc", [])) or "none"
        return f"Mail for {zone}: MX {mx}. SPF: {spf}. DMARC: {dmarc}.", []

    def _presence(self, zone: str, name: str, intent: Intent, later: list[Result]) -> tuple[str, list[Call]]:
        summary = self._summary(zone, later)
        if summary is None:
            return "", [("zone_summary", {"zone": zone})]
        mail = summary.get("mail", {})
        found = {"DMARC": mail.get("dmarc", []), "SPF": mail.get("spf", []), "CAA": summary.get("caa", [])}[
            intent.rtype
        ]
        if found:
            return f"Yes: {zone} has a {intent.rtype} record: " + "; ".join(found) + ".", []
        return f"No: {zone} has no {intent.rtype} record.", []

    # -- changes -----------------------------------------------------------------------------------

    def _propose(
        self, zone: str, title: str, edits: list[dict[str, Any]], later: list[Result]
    ) -> tuple[str, list[Call]]:
        for result in later:
            if result.name == "propose_change":
                return _proposed(result.data), []
        if not edits:
            return "Nothing to propose: the zone already has that.", []
        arguments = {
            "zone": zone,
            "title": title,
            "rationale": f"Asked: {self.question[:300]}",
            "edits": edits,
        }
        return "", [("propose_change", arguments)]

    def _records_then(
        self, zone: str, arguments: dict[str, Any], later: list[Result]
    ) -> tuple[list[dict[str, Any]] | None, list[Call]]:
        records = self._found(later)
        if records is None:
            return None, [("find_records", {"zone": zone, **arguments})]
        return records, []

    def _point(self, zone: str, name: str, intent: Intent, later: list[Result]) -> tuple[str, list[Call]]:
        records, calls = self._records_then(zone, {"name": name}, later)
        if records is None:
            return "", calls
        v4 = [a for a in intent.values if ":" not in a]
        v6 = [a for a in intent.values if ":" in a]
        have = {r["type"]: r for r in records}
        edits: list[dict[str, Any]] = []
        if "CNAME" in have:
            edits.append({"action": "delete", "name": name, "type": "CNAME"})
        for rtype, wanted in (("A", v4), ("AAAA", v6)):
            if wanted and (rtype not in have or sorted(have[rtype]["values"]) != sorted(wanted)):
                edits.append({"action": "upsert", "name": name, "type": rtype, "values": sorted(wanted)})
        return self._propose(
            zone, f"Point {_absolute(name, zone)} to {', '.join(intent.values)}", edits, later
        )

    def _add(self, zone: str, name: str, intent: Intent, later: list[Result]) -> tuple[str, list[Call]]:
        records, calls = self._records_then(zone, {"name": name, "type": intent.rtype}, later)
        if records is None:
            return "", calls
        value = intent.values[0]
        if intent.rtype == "TXT" and not value.startswith('"'):
            value = f'"{value}"'
        if intent.rtype in ("CNAME", "NS", "PTR") and "." in value and not value.endswith("."):
            value += "."  # a target named with dots is absolute: the member means that host
        existing = list(records[0]["values"]) if records else []
        values = [value] if intent.rtype == "CNAME" else existing if value in existing else [*existing, value]
        edit: dict[str, Any] = {"action": "upsert", "name": name, "type": intent.rtype, "values": values}
        if intent.ttl is not None:
            edit["ttl"] = intent.ttl
        unchanged = values == existing and (
            intent.ttl is None or (records and records[0]["ttl"] == intent.ttl)
        )
        title = f"Add {intent.rtype} {intent.values[0]} at {_absolute(name, zone)}"
        return self._propose(zone, title, [] if unchanged else [edit], later)

    def _remove(self, zone: str, name: str, intent: Intent, later: list[Result]) -> tuple[str, list[Call]]:
        records, calls = self._records_then(zone, {"name": name, "type": intent.rtype}, later)
        if records is None:
            return "", calls
        if not records:
            return f"There is no {intent.rtype} record at {_absolute(name, zone)}: nothing to remove.", []
        existing = list(records[0]["values"])
        if intent.values:
            wanted = intent.values[0]
            matching = [v for v in existing if _same_value(v, wanted)]
            if not matching:
                return f"{_absolute(name, zone)} has no {intent.rtype} value {wanted}: nothing to remove.", []
            rest = [v for v in existing if v not in matching]
        else:
            rest = []
        edit: dict[str, Any] = (
            {"action": "upsert", "name": name, "type": intent.rtype, "values": rest}
            if rest
            else {"action": "delete", "name": name, "type": intent.rtype}
        )
        what = f"{intent.rtype} {intent.values[0]}" if intent.values else f"the {intent.rtype} record"
        return self._propose(zone, f"Remove {what} at {_absolute(name, zone)}", [edit], later)

    def _ttl(self, zone: str, name: str, intent: Intent, later: list[Result]) -> tuple[str, list[Call]]:
        arguments: dict[str, Any] = {"name": name}
        if intent.rtype:
            arguments["type"] = intent.rtype
        records, calls = self._records_then(zone, arguments, later)
        if records is None:
            return "", calls
        if not records:
            return f"There is no record at {_absolute(name, zone)} whose TTL I could change.", []
        edits = [
            {
                "action": "upsert",
                "name": name,
                "type": r["type"],
                "ttl": intent.ttl,
                "values": list(r["values"]),
            }
            for r in records
            if r["ttl"] != intent.ttl and r["type"] != "SOA"
        ]
        return self._propose(zone, f"Set the TTL of {_absolute(name, zone)} to {intent.ttl}", edits, later)

    def _mx(self, zone: str, name: str, intent: Intent, later: list[Result]) -> tuple[str, list[Call]]:
        records, calls = self._records_then(zone, {"name": "@", "type": "MX"}, later)
        if records is None:
            return "", calls
        host = _absolute(intent.values[0], zone)
        value = f"{intent.priority} {host}"
        existing = list(records[0]["values"]) if records else []
        if value in existing:
            return self._propose(zone, "", [], later)
        edit = {"action": "upsert", "name": "@", "type": "MX", "values": [*existing, value]}
        return self._propose(zone, f"Add MX {value}", [edit], later)

    def _spf_include(
        self, zone: str, name: str, intent: Intent, later: list[Result]
    ) -> tuple[str, list[Call]]:
        records, calls = self._records_then(zone, {"name": "@", "type": "TXT"}, later)
        if records is None:
            return "", calls
        include = f"include:{intent.values[0]}"
        existing = list(records[0]["values"]) if records else []
        spf = next((v for v in existing if _unquote(v).lower().startswith("v=spf1")), None)
        if spf is None:
            new = f'"v=spf1 {include} ~all"'
            values = [*existing, new]
        else:
            terms = _unquote(spf).split()
            if include.lower() in (t.lower() for t in terms):
                return f"The SPF record of {zone} already has {include}: nothing to propose.", []
            last = terms[-1].lower()
            position = len(terms) - 1 if last.endswith("all") or last.startswith("redirect=") else len(terms)
            terms.insert(position, include)
            values = [f'"{" ".join(terms)}"' if v == spf else v for v in existing]
        edit = {"action": "upsert", "name": "@", "type": "TXT", "values": values}
        return self._propose(zone, f"Add {include} to the SPF record", [edit], later)

    def _caa(self, zone: str, name: str, intent: Intent, later: list[Result]) -> tuple[str, list[Call]]:
        records, calls = self._records_then(zone, {"name": "@", "type": "CAA"}, later)
        if records is None:
            return "", calls
        existing = list(records[0]["values"]) if records else []
        kept = [v for v in existing if " issue " not in f" {v} "]
        value = f'0 issue "{intent.values[0]}"'
        values = [*kept, value]
        if sorted(values) == sorted(existing):
            return f"{intent.values[0]} is already the only CAA issuer of {zone}: nothing to propose.", []
        edit = {"action": "upsert", "name": "@", "type": "CAA", "values": values}
        return self._propose(zone, f"Set the CAA issuer to {intent.values[0]}", [edit], later)

    def _verification(
        self, zone: str, name: str, intent: Intent, later: list[Result]
    ) -> tuple[str, list[Call]]:
        records, calls = self._records_then(zone, {"name": name, "type": "TXT"}, later)
        if records is None:
            return "", calls
        value = f'"{intent.values[0].strip(chr(34))}"'
        existing = list(records[0]["values"]) if records else []
        if value in existing:
            return f"{_absolute(name, zone)} already has that verification TXT: nothing to propose.", []
        edit = {"action": "upsert", "name": name, "type": "TXT", "values": [*existing, value]}
        return self._propose(zone, f"Add a verification TXT at {_absolute(name, zone)}", [edit], later)

    def _delete_name(
        self, zone: str, name: str, intent: Intent, later: list[Result]
    ) -> tuple[str, list[Call]]:
        records, calls = self._records_then(zone, {"name": name}, later)
        if records is None:
            return "", calls
        if name == "@":
            return "I won't propose deleting every record at the zone's apex.", []
        if not records:
            return f"There is nothing at {_absolute(name, zone)}: nothing to delete.", []
        edits = [{"action": "delete", "name": name, "type": r["type"]} for r in records]
        return self._propose(zone, f"Delete {_absolute(name, zone)}", edits, later)


def _proposed(data: Mapping[str, Any]) -> str:
    if "error" in data:
        problems = "; ".join(data.get("problems", []))
        return (
            f"I could not propose that change: {str(data['error']).rstrip('.')}"
            + (f" ({problems})" if problems else "")
            + "."
        )
    risks = data.get("risk_reasons", [])
    risk_text = (
        (" Risks to acknowledge: " + "; ".join(f"{r['id']}: {r['message']}" for r in risks) + ".")
        if risks
        else ""
    )
    return (
        f"I proposed change request #{data['change_request']} ({data['state']}). "
        f"Plan hash {data['plan_hash']}:\n"
        f"{data['plan']}\n{risk_text}"
        "Nothing changes until you approve this exact plan hash and apply it (or another member does, where "
        "the policy demands independent review). I never approve or apply changes myself."
    )


def _relative(name: str, zone: str) -> str:
    bare = name.rstrip(".").lower()
    if bare in ("@", zone):
        return "@"
    if bare.endswith("." + zone):
        return bare[: -len(zone) - 1]
    return bare


def _absolute(name: str, zone: str) -> str:
    if name == "@":
        return zone + "."
    if name.endswith("."):
        return name
    if "." in name and not name.startswith("_"):
        return name + "."
    return f"{name}.{zone}."


def _unquote(value: str) -> str:
    return "".join(part.strip('"') for part in value.split('" "'))


def _same_value(stored: str, given: str) -> bool:
    return _unquote(stored).rstrip(".").lower() == given.strip('"').rstrip(".").lower()
