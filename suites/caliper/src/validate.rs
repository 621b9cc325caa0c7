//! The pure validator: one parsed JSON value in, located findings out.
//!
//! Nothing here does I/O. [`validate_value`] classifies the value (envelope,
//! event, entity, or an array of them), walks it once and records, per rule, a
//! finding for every violation plus the fact that the rule *applied* (so the
//! suite can tell "nothing wrong" from "nothing to judge"). Locations are JSON
//! pointers into the document (`/data/0/action`).

use std::collections::HashSet;

use serde_json::{Map, Value};

use accredit_core::Outcome;

use crate::context::{Coercion, Contexts, TermDef, TermTable, context_objects};
use crate::formats;
use crate::model;
use crate::rules::*;
use crate::vocab::{self, Version};

pub use accredit_core::artifact::Validation;

/// Validates one parsed document. `document` names it in findings; `contexts`
/// enables the `caliper.term.*` rules.
pub fn validate_value(document: &str, value: &Value, contexts: Option<&Contexts>) -> Validation {
    let mut out = Validation::default();
    let mut cx = Cx {
        doc: document,
        contexts,
        out: &mut out,
    };
    cx.top(value);
    out
}

/// What a JSON object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Envelope,
    Event,
    Entity,
    Unknown,
}

const ENVELOPE_KEYS: [&str; 4] = ["sensor", "sendTime", "dataVersion", "data"];
const EVENT_REQUIRED_KEYS: [&str; 6] = ["id", "type", "actor", "action", "object", "eventTime"];
const EVENT_ENTITY_KEYS: [&str; 10] = [
    "actor",
    "object",
    "target",
    "generated",
    "edApp",
    "referrer",
    "group",
    "membership",
    "session",
    "federatedSession",
];
/// Properties whose values are not Caliper data (exempt from the term rules):
/// `extensions` by definition, `messageParameters` (LTI launch parameters, which
/// certification ignores, caliper-spec#480).
const OPAQUE_KEYS: [&str; 2] = ["extensions", "messageParameters"];

/// Envelope: envelope keys and no `type`. Event: an `*Event` type, or the event
/// properties `action`/`eventTime` (which no entity has). Entity: anything else
/// with a `type` or an `id`.
fn classify(o: &Map<String, Value>) -> Kind {
    let ty = o.get("type").and_then(Value::as_str);
    let event_keys = ["action", "eventTime"].iter().any(|k| o.contains_key(*k));
    if ty.is_some_and(vocab::looks_like_event_type) || event_keys {
        return Kind::Event;
    }
    if ty.is_none() && ENVELOPE_KEYS.iter().any(|k| o.contains_key(*k)) {
        return Kind::Envelope;
    }
    if o.contains_key("type") || o.contains_key("id") || o.contains_key("actor") {
        return Kind::Entity;
    }
    Kind::Unknown
}

/// The active vocabulary of one describe: the version's context plus inline terms.
struct Terms<'a> {
    version: Version,
    table: Option<&'a TermTable>,
    inline: HashSet<&'a str>,
    /// A non-Caliper remote context the describe references: terms it may define
    /// cannot be resolved offline, so unknown terms are warnings, not failures.
    foreign: Option<&'a str>,
}

impl Terms<'_> {
    fn lookup(&self, term: &str) -> Option<TermDef> {
        if let Some(d) = self.table.and_then(|t| t.get(term)) {
            return Some(d.clone());
        }
        self.inline.contains(term).then_some(TermDef {
            coercion: Coercion::None,
            list: false,
        })
    }

    fn defines(&self, term: &str) -> bool {
        self.table.is_some_and(|t| t.defines(term)) || self.inline.contains(term)
    }
}

struct Cx<'a> {
    doc: &'a str,
    contexts: Option<&'a Contexts>,
    out: &'a mut Validation,
}

fn child(ptr: &str, key: &str) -> String {
    if key.contains(['~', '/']) {
        format!("{ptr}/{}", key.replace('~', "~0").replace('/', "~1"))
    } else {
        format!("{ptr}/{key}")
    }
}

/// A short rendering of an offending value for messages.
fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Cx<'_> {
    fn fail(&mut self, ptr: &str, rule: &'static str, msg: String) {
        self.out.add(self.doc, ptr, rule, Outcome::Fail, msg);
    }

    fn warn(&mut self, ptr: &str, rule: &'static str, msg: String) {
        self.out.add(self.doc, ptr, rule, Outcome::Warn, msg);
    }

    fn top(&mut self, value: &Value) {
        self.out.applies(DOCUMENT_RECOGNIZED);
        match value {
            Value::Array(items) if items.is_empty() => self.fail(
                "",
                DOCUMENT_RECOGNIZED,
                "empty JSON array: nothing to validate".into(),
            ),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.top_item(item, &format!("/{i}"));
                }
            }
            other => self.top_item(other, ""),
        }
    }

    fn top_item(&mut self, value: &Value, ptr: &str) {
        let Value::Object(o) = value else {
            return self.fail(
                ptr,
                DOCUMENT_RECOGNIZED,
                format!(
                    "{} is not an envelope, event or entity object",
                    json_kind(value)
                ),
            );
        };
        match classify(o) {
            Kind::Envelope => self.envelope(o, ptr),
            Kind::Event | Kind::Entity => {
                self.describe(o, ptr, None);
            }
            Kind::Unknown => self.fail(
                ptr,
                DOCUMENT_RECOGNIZED,
                "object is neither an envelope (sensor, sendTime, dataVersion, data) nor an event or entity (type, id)".into(),
            ),
        }
    }

    // ---- envelope -------------------------------------------------------------

    fn envelope(&mut self, o: &Map<String, Value>, ptr: &str) {
        for r in [
            ENVELOPE_REQUIRED,
            ENVELOPE_NO_CUSTOM,
            ENVELOPE_SEND_TIME,
            ENVELOPE_DATA_VERSION,
            ENVELOPE_DATA,
        ] {
            self.out.applies(r);
        }
        for k in ENVELOPE_KEYS {
            match o.get(k) {
                None => self.fail(
                    ptr,
                    ENVELOPE_REQUIRED,
                    format!("missing required property `{k}`"),
                ),
                Some(Value::Null) => self.fail(
                    &child(ptr, k),
                    ENVELOPE_REQUIRED,
                    format!("required property `{k}` is null"),
                ),
                Some(_) => {}
            }
        }
        for k in o.keys().filter(|k| !ENVELOPE_KEYS.contains(&k.as_str())) {
            self.fail(
                &child(ptr, k),
                ENVELOPE_NO_CUSTOM,
                format!("custom envelope property `{k}` is not permitted"),
            );
        }
        self.sensor(o.get("sensor"), &child(ptr, "sensor"));
        self.send_time(o.get("sendTime"), &child(ptr, "sendTime"));
        let version = self.data_version(o.get("dataVersion"), &child(ptr, "dataVersion"));
        self.envelope_data(o.get("data"), &child(ptr, "data"), version);
    }

    fn sensor(&mut self, v: Option<&Value>, ptr: &str) {
        match v {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                self.out.applies(ENVELOPE_SENSOR);
                if !formats::is_iri(s) {
                    self.warn(
                        ptr,
                        ENVELOPE_SENSOR,
                        format!("sensor {} is not an IRI", show(&Value::String(s.clone()))),
                    );
                }
            }
            Some(other) => self.fail(
                ptr,
                ENVELOPE_REQUIRED,
                format!("sensor must be a string, got {}", json_kind(other)),
            ),
        }
    }

    fn send_time(&mut self, v: Option<&Value>, ptr: &str) {
        match v {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if formats::is_caliper_datetime(s) => {}
            Some(other) => self.fail(ptr, ENVELOPE_SEND_TIME, datetime_message("sendTime", other)),
        }
    }

    fn data_version(&mut self, v: Option<&Value>, ptr: &str) -> Option<Version> {
        let s = match v {
            None | Some(Value::Null) => return None,
            Some(Value::String(s)) => s,
            Some(other) => {
                self.fail(
                    ptr,
                    ENVELOPE_DATA_VERSION,
                    format!(
                        "dataVersion must be a context IRI string, got {}",
                        show(other)
                    ),
                );
                return None;
            }
        };
        if s == vocab::CONTEXT_V1P1 || s == vocab::CONTEXT_V1P2 {
            return vocab::version_of_context(s);
        }
        match vocab::version_of_context(s) {
            Some(version) => {
                self.warn(ptr, ENVELOPE_DATA_VERSION, format!("dataVersion \"{s}\" is a profile-extension context; the Caliper context IRI is \"{}\"", version.context_iri()));
                Some(version)
            }
            None => {
                self.fail(ptr, ENVELOPE_DATA_VERSION, format!("dataVersion \"{s}\" is not a Caliper context IRI (expected \"{}\" or \"{}\")", vocab::CONTEXT_V1P1, vocab::CONTEXT_V1P2));
                None
            }
        }
    }

    fn envelope_data(&mut self, v: Option<&Value>, ptr: &str, version: Option<Version>) {
        let items = match v {
            None | Some(Value::Null) => return,
            Some(Value::Array(a)) if a.is_empty() => {
                return self.fail(
                    ptr,
                    ENVELOPE_DATA,
                    "data is empty; it must hold one or more events or entities".into(),
                );
            }
            Some(Value::Array(a)) => a,
            Some(other) => {
                return self.fail(
                    ptr,
                    ENVELOPE_DATA,
                    format!("data must be an array, got {}", json_kind(other)),
                );
            }
        };
        for (i, item) in items.iter().enumerate() {
            let p = child(ptr, &i.to_string());
            match item {
                Value::Object(o) => match classify(o) {
                    Kind::Event | Kind::Entity => {
                        let found = self.describe(o, &p, version);
                        self.version_agrees(version, found, &p);
                    }
                    Kind::Envelope => self.fail(
                        &p,
                        ENVELOPE_DATA,
                        "an envelope cannot be nested in data".into(),
                    ),
                    Kind::Unknown => self.fail(
                        &p,
                        ENVELOPE_DATA,
                        "data item is neither an event nor an entity (no type)".into(),
                    ),
                },
                other => self.fail(
                    &p,
                    ENVELOPE_DATA,
                    format!(
                        "data item must be an event or entity describe object, got {}",
                        show(other)
                    ),
                ),
            }
        }
    }

    fn version_agrees(&mut self, envelope: Option<Version>, describe: Option<Version>, ptr: &str) {
        if let (Some(e), Some(d)) = (envelope, describe)
            && e != d
        {
            self.fail(
                &child(ptr, "@context"),
                ENVELOPE_DATA_VERSION,
                format!(
                    "describe uses the Caliper {} context but the envelope dataVersion is {}",
                    d.label(),
                    e.context_iri()
                ),
            );
        }
    }

    // ---- describes ------------------------------------------------------------

    /// Validates a top-level event or entity describe; returns the version its
    /// `@context` names.
    fn describe(
        &mut self,
        o: &Map<String, Value>,
        ptr: &str,
        envelope: Option<Version>,
    ) -> Option<Version> {
        self.out.applies(DESCRIBE_CONTEXT);
        let ctx_version = self.context(o.get("@context"), &child(ptr, "@context"));
        let version = ctx_version.or(envelope).unwrap_or(Version::V1p2);
        let terms = Terms {
            version,
            table: self.contexts.map(|c| c.terms(version)),
            inline: context_objects(o.get("@context"))
                .into_iter()
                .flat_map(|m| m.keys().map(String::as_str))
                .collect(),
            foreign: foreign_context(o.get("@context")),
        };
        match classify(o) {
            Kind::Event => self.event(o, ptr, &terms),
            _ => self.entity(o, ptr, &terms),
        }
        if self.contexts.is_some() {
            self.out.applies(TERM_DEFINED);
            self.out.applies(TERM_DATATYPE);
            self.term_walk(o, ptr, &terms);
        }
        ctx_version
    }

    fn context(&mut self, ctx: Option<&Value>, ptr: &str) -> Option<Version> {
        match ctx {
            None | Some(Value::Null) => {
                self.fail(
                    ptr,
                    DESCRIBE_CONTEXT,
                    "missing `@context`: the describe must reference the Caliper context".into(),
                );
                None
            }
            Some(Value::String(s)) => {
                let v = vocab::version_of_context(s);
                if v.is_none() {
                    self.fail(
                        ptr,
                        DESCRIBE_CONTEXT,
                        format!("@context \"{s}\" is not a Caliper context IRI"),
                    );
                }
                v
            }
            Some(Value::Array(a)) => self.context_array(a, ptr),
            Some(Value::Object(_)) => {
                // 1.1 §4.1 makes the remote context mandatory, yet the official 1.2
                // example caliperEventMessagePostedInlineContext.json inlines it: warn.
                self.warn(ptr, DESCRIBE_CONTEXT, "inline @context object without the remote Caliper context IRI; Caliper terms are resolved by the remote context".into());
                None
            }
            Some(other) => {
                self.fail(
                    ptr,
                    DESCRIBE_CONTEXT,
                    format!(
                        "@context must be a string or an array, got {}",
                        json_kind(other)
                    ),
                );
                None
            }
        }
    }

    fn context_array(&mut self, a: &[Value], ptr: &str) -> Option<Version> {
        let last = a
            .last()
            .and_then(Value::as_str)
            .and_then(vocab::version_of_context);
        if last.is_some() {
            return last;
        }
        let elsewhere = a
            .iter()
            .filter_map(Value::as_str)
            .find_map(vocab::version_of_context);
        let msg = match elsewhere {
            Some(_) => {
                "the Caliper context IRI must be listed last in the @context array".to_string()
            }
            None => format!(
                "@context array {} does not reference the Caliper context",
                show(&Value::Array(a.to_vec()))
            ),
        };
        self.fail(ptr, DESCRIBE_CONTEXT, msg);
        elsewhere
    }

    // ---- events ---------------------------------------------------------------

    fn event(&mut self, o: &Map<String, Value>, ptr: &str, terms: &Terms<'_>) {
        for r in [
            EVENT_REQUIRED,
            EVENT_ID,
            EVENT_TYPE,
            EVENT_ACTION,
            EVENT_TIME,
            EVENT_ENTITY_REF,
        ] {
            self.out.applies(r);
        }
        for k in EVENT_REQUIRED_KEYS {
            match o.get(k) {
                None => self.fail(
                    ptr,
                    EVENT_REQUIRED,
                    format!("missing required property `{k}`"),
                ),
                Some(Value::Null) => self.fail(
                    &child(ptr, k),
                    EVENT_REQUIRED,
                    format!("required property `{k}` is null"),
                ),
                Some(_) => {}
            }
        }
        self.launch_session(o, ptr, terms.version);
        self.event_id(o.get("id"), &child(ptr, "id"));
        let ty = self.event_type(o.get("type"), &child(ptr, "type"), terms.version);
        self.event_action(o.get("action"), &child(ptr, "action"), ty, terms.version);
        match o.get("eventTime") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if formats::is_caliper_datetime(s) => {}
            Some(other) => self.fail(
                &child(ptr, "eventTime"),
                EVENT_TIME,
                datetime_message("eventTime", other),
            ),
        }
        self.event_profile(o.get("profile"), &child(ptr, "profile"));
        self.out.applies(EVENT_RANGE);
        for k in EVENT_ENTITY_KEYS {
            if let Some(v) = o.get(k) {
                let p = child(ptr, k);
                if let (Some(t), Value::Object(n)) = (ty, v) {
                    let action = o.get("action").and_then(Value::as_str);
                    self.range(n, model::event_range(t, action, k), &p, EVENT_RANGE, k);
                }
                self.entity_ref(v, &p, terms);
            }
        }
        self.extensions(o, ptr);
    }

    /// 1.2 ToolLaunchEvent: `federatedSession` is REQUIRED when the action is `Launched`.
    fn launch_session(&mut self, o: &Map<String, Value>, ptr: &str, version: Version) {
        let launched = o.get("type").and_then(Value::as_str) == Some("ToolLaunchEvent")
            && o.get("action").and_then(Value::as_str) == Some("Launched");
        if version == Version::V1p2
            && launched
            && o.get("federatedSession").is_none_or(Value::is_null)
        {
            self.fail(
                ptr,
                EVENT_REQUIRED,
                "a Launched ToolLaunchEvent requires `federatedSession` (the LtiSession)".into(),
            );
        }
    }

    fn event_id(&mut self, v: Option<&Value>, ptr: &str) {
        match v {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => match formats::urn_uuid(s) {
                Some(u) if formats::is_uuid_v4(u) => {}
                Some(_) => self.warn(
                    ptr,
                    EVENT_ID,
                    format!(
                        "id \"{s}\" is not a version 4 UUID (a version 4 UUID SHOULD be generated)"
                    ),
                ),
                None => self.fail(
                    ptr,
                    EVENT_ID,
                    format!("id \"{s}\" is not of the form urn:uuid:<UUID>"),
                ),
            },
            Some(other) => self.fail(
                ptr,
                EVENT_ID,
                format!("id must be a urn:uuid string, got {}", show(other)),
            ),
        }
    }

    fn event_type<'v>(
        &mut self,
        v: Option<&'v Value>,
        ptr: &str,
        version: Version,
    ) -> Option<&'v str> {
        match v {
            None | Some(Value::Null) => None,
            Some(Value::String(t)) if vocab::is_event_type(version, t) => Some(t),
            Some(Value::String(t)) => {
                self.fail(
                    ptr,
                    EVENT_TYPE,
                    format!("\"{t}\" is not a Caliper {} event type", version.label()),
                );
                None
            }
            Some(other) => {
                self.fail(
                    ptr,
                    EVENT_TYPE,
                    format!("type must be a term string, got {}", show(other)),
                );
                None
            }
        }
    }

    fn event_action(&mut self, v: Option<&Value>, ptr: &str, ty: Option<&str>, version: Version) {
        let a = match v {
            None | Some(Value::Null) => return,
            Some(Value::String(a)) => a.as_str(),
            Some(Value::Array(_)) => {
                return self.fail(
                    ptr,
                    EVENT_ACTION,
                    "only one action term may be specified per event".into(),
                );
            }
            Some(other) => {
                return self.fail(
                    ptr,
                    EVENT_ACTION,
                    format!("action must be a term string, got {}", show(other)),
                );
            }
        };
        let spelled = vocab::spec_spelling(a);
        if let Some(spec) = spelled {
            self.warn(ptr, EVENT_ACTION, format!("action \"{a}\" is the contexts' spelling; the specification text spells it \"{spec}\" (known discrepancy, both accepted)"));
        }
        let action = spelled.unwrap_or(a);
        let Some(ty) = ty else {
            if !vocab::ALL_ACTIONS.contains(&action) {
                self.fail(
                    ptr,
                    EVENT_ACTION,
                    format!("\"{a}\" is not an action of the Actions appendix"),
                );
            }
            return;
        };
        let allowed = vocab::event_actions(version, ty).unwrap_or(&[]);
        if allowed.contains(&action) {
            return;
        }
        if vocab::is_deprecated_action(version, ty, action) {
            return self.warn(
                ptr,
                EVENT_ACTION,
                format!("action \"{a}\" is DEPRECATED for {ty} and SHOULD NOT be used"),
            );
        }
        self.fail(
            ptr,
            EVENT_ACTION,
            format!(
                "action \"{a}\" is not allowed for {ty} (Caliper {}: {})",
                version.label(),
                allowed.join(", ")
            ),
        );
    }

    fn event_profile(&mut self, v: Option<&Value>, ptr: &str) {
        let Some(v) = v else { return };
        self.out.applies(EVENT_PROFILE);
        match v {
            Value::String(p) if vocab::PROFILES.contains(&p.as_str()) => {}
            Value::String(p) => self.fail(
                ptr,
                EVENT_PROFILE,
                format!("\"{p}\" is not a Caliper metric profile term"),
            ),
            other => self.fail(
                ptr,
                EVENT_PROFILE,
                format!("profile must be one profile term, got {}", show(other)),
            ),
        }
    }

    fn entity_ref(&mut self, v: &Value, ptr: &str, terms: &Terms<'_>) {
        match v {
            Value::Null => {}
            Value::String(s) if formats::is_iri(s) => {}
            Value::String(s) => self.fail(
                ptr,
                EVENT_ENTITY_REF,
                format!("\"{s}\" is neither an entity object nor an IRI"),
            ),
            Value::Object(o) => self.entity(o, ptr, terms),
            other => self.fail(
                ptr,
                EVENT_ENTITY_REF,
                format!(
                    "expected an entity object or an IRI string, got {}",
                    json_kind(other)
                ),
            ),
        }
    }

    // ---- entities -------------------------------------------------------------

    fn entity(&mut self, o: &Map<String, Value>, ptr: &str, terms: &Terms<'_>) {
        self.out.applies(ENTITY_TYPE);
        self.out.applies(ENTITY_ID);
        let ty = match o.get("type") {
            Some(Value::String(t)) => {
                if !vocab::is_entity_type(terms.version, t) {
                    let msg = format!(
                        "\"{t}\" is not a Caliper {} entity type",
                        terms.version.label()
                    );
                    match terms.foreign {
                        Some(iri) => self.warn(
                            &child(ptr, "type"),
                            ENTITY_TYPE,
                            format!("{msg}; it may come from the remote context \"{iri}\""),
                        ),
                        None => self.fail(&child(ptr, "type"), ENTITY_TYPE, msg),
                    }
                }
                Some(t.as_str())
            }
            None => {
                self.fail(ptr, ENTITY_TYPE, "entity object has no `type`".into());
                None
            }
            Some(other) => {
                self.fail(
                    &child(ptr, "type"),
                    ENTITY_TYPE,
                    format!("type must be a term string, got {}", show(other)),
                );
                None
            }
        };
        if !ty.is_some_and(|t| vocab::VALUE_TYPES.contains(&t)) {
            self.entity_id(o.get("id"), ptr);
        }
        self.entity_required(o, ty, ptr);
        self.extensions(o, ptr);
        self.nested_entities(o, ty, ptr, terms);
    }

    fn entity_id(&mut self, v: Option<&Value>, ptr: &str) {
        match v {
            None => self.fail(ptr, ENTITY_ID, "entity object has no `id`".into()),
            Some(Value::String(s)) if formats::is_iri(s) => {}
            Some(other) => self.fail(
                &child(ptr, "id"),
                ENTITY_ID,
                format!("id {} is not an IRI", show(other)),
            ),
        }
    }

    fn entity_required(&mut self, o: &Map<String, Value>, ty: Option<&str>, ptr: &str) {
        let Some((_, required)) =
            ty.and_then(|t| model::ENTITY_REQUIRED.iter().find(|(r, _)| *r == t))
        else {
            self.out.applies(ENTITY_REQUIRED);
            return;
        };
        self.out.applies(ENTITY_REQUIRED);
        for k in required
            .iter()
            .filter(|k| o.get(**k).is_none_or(Value::is_null))
        {
            self.fail(
                ptr,
                ENTITY_REQUIRED,
                format!("{} requires `{k}`", ty.unwrap_or_default()),
            );
        }
    }

    /// Entity objects nested under any property (or in lists) of `o`, each
    /// checked against the range of the property it sits in.
    fn nested_entities(
        &mut self,
        o: &Map<String, Value>,
        owner: Option<&str>,
        ptr: &str,
        terms: &Terms<'_>,
    ) {
        self.out.applies(ENTITY_RANGE);
        for (k, v) in o {
            if k.starts_with('@') || OPAQUE_KEYS.contains(&k.as_str()) {
                continue;
            }
            let p = child(ptr, k);
            let range = owner.and_then(|t| model::entity_range(t, k));
            match v {
                Value::Object(n) if n.contains_key("type") || n.contains_key("id") => {
                    self.range(n, range, &p, ENTITY_RANGE, k);
                    self.entity(n, &p, terms);
                }
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let ip = child(&p, &i.to_string());
                        match item {
                            Value::Object(n) if n.contains_key("type") || n.contains_key("id") => {
                                self.range(n, range, &ip, ENTITY_RANGE, k);
                                self.entity(n, &ip, terms);
                            }
                            Value::String(s) if range.is_some() && !formats::is_iri(s) => {
                                self.fail(&ip, ENTITY_RANGE, format!("`{k}` element \"{s}\" is neither an entity object nor an IRI"));
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Checks that the entity object `n` (value of `prop`) has a type in `range`.
    fn range(
        &mut self,
        n: &Map<String, Value>,
        range: Option<&[&str]>,
        ptr: &str,
        rule: &'static str,
        prop: &str,
    ) {
        let (Some(range), Some(Value::String(ty))) = (range, n.get("type")) else {
            return;
        };
        if !model::is_known(ty) || range.iter().any(|c| model::is_a(ty, c)) {
            return;
        }
        self.fail(
            &child(ptr, "type"),
            rule,
            format!("`{prop}` must be a {}, got a {ty}", range.join(" or ")),
        );
    }

    fn extensions(&mut self, o: &Map<String, Value>, ptr: &str) {
        let Some(v) = o.get("extensions") else { return };
        self.out.applies(EXTENSIONS_OBJECT);
        if !v.is_object() {
            self.fail(
                &child(ptr, "extensions"),
                EXTENSIONS_OBJECT,
                format!(
                    "extensions must be a map of key:value pairs, got {}",
                    show(v)
                ),
            );
        }
    }

    // ---- terms (contexts) -----------------------------------------------------

    fn term_walk(&mut self, o: &Map<String, Value>, ptr: &str, terms: &Terms<'_>) {
        for (k, v) in o {
            if k.starts_with('@') || OPAQUE_KEYS.contains(&k.as_str()) || k == "id" {
                continue;
            }
            let p = child(ptr, k);
            if k == "type" {
                self.type_term(v, &p, terms);
                continue;
            }
            let Some(def) = terms.lookup(k) else {
                self.unknown_term(&p, terms, format!("property `{k}`"), k);
                continue;
            };
            self.datatype(k, v, &def, &p, terms);
            self.term_children(v, &p, terms);
        }
    }

    fn term_children(&mut self, v: &Value, ptr: &str, terms: &Terms<'_>) {
        match v {
            Value::Object(n) => self.term_walk(n, ptr, terms),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Value::Object(n) = item {
                        self.term_walk(n, &child(ptr, &i.to_string()), terms);
                    }
                }
            }
            _ => {}
        }
    }

    fn type_term(&mut self, v: &Value, ptr: &str, terms: &Terms<'_>) {
        if let Value::String(t) = v
            && !terms.defines(t)
        {
            self.unknown_term(ptr, terms, format!("type \"{t}\""), t);
        }
    }

    /// An undefined term: a failure, unless a foreign remote context may define
    /// it or it is a known gap of the official context files (warnings).
    fn unknown_term(&mut self, ptr: &str, terms: &Terms<'_>, what: String, term: &str) {
        let label = terms.version.label();
        if context_gap(terms.version, term) {
            return self.warn(ptr, TERM_DEFINED, format!("{what} is defined by the Caliper {label} specification but missing from the official context file (known gap)"));
        }
        match terms.foreign {
            Some(iri) => self.warn(ptr, TERM_DEFINED, format!("{what} is not a term of the Caliper {label} context; it may come from the remote context \"{iri}\", which is not resolved offline")),
            None => self.fail(ptr, TERM_DEFINED, format!("{what} is not a term of the Caliper {label} context (custom data belongs under `extensions`)")),
        }
    }

    fn datatype(&mut self, key: &str, v: &Value, def: &TermDef, ptr: &str, terms: &Terms<'_>) {
        if v.is_null() {
            return self.warn(
                ptr,
                TERM_DATATYPE,
                format!("`{key}` is null; properties with a null value SHOULD be excluded"),
            );
        }
        if def.list {
            let Value::Array(items) = v else {
                return self.fail(
                    ptr,
                    TERM_DATATYPE,
                    format!("`{key}` must be a list, got {}", show(v)),
                );
            };
            if STRING_LISTS.contains(&key) {
                return self.string_list(key, items, ptr);
            }
            for (i, item) in items.iter().enumerate() {
                // The contexts type plain-string lists (keywords, itemLabels, ...) as
                // `@id`; a string element is accepted there.
                if def.coercion == Coercion::Id && item.is_string() {
                    continue;
                }
                self.scalar(key, item, &def.coercion, &child(ptr, &i.to_string()), terms);
            }
            return;
        }
        self.scalar(key, v, &def.coercion, ptr, terms);
    }

    fn string_list(&mut self, key: &str, items: &[Value], ptr: &str) {
        for (i, item) in items.iter().enumerate().filter(|(_, v)| !v.is_string()) {
            self.fail(
                &child(ptr, &i.to_string()),
                TERM_DATATYPE,
                format!("`{key}` is a list of strings; element is {}", show(item)),
            );
        }
    }

    fn scalar(&mut self, key: &str, v: &Value, coercion: &Coercion, ptr: &str, terms: &Terms<'_>) {
        let problem = match coercion {
            Coercion::None => None,
            Coercion::Id => id_problem(v),
            // `action` and `profile` have their own rules with the spec's spellings.
            Coercion::Vocab if key == "action" || key == "profile" => None,
            Coercion::Vocab => match v {
                Value::String(s) if terms.defines(s) => None,
                Value::String(s) if context_gap(terms.version, s) => {
                    self.warn(ptr, TERM_DATATYPE, format!("`{key}`: \"{s}\" is defined by the specification but missing from the official context file (known gap)"));
                    None
                }
                Value::String(s) => Some(format!(
                    "\"{s}\" is not a term of the Caliper {} context",
                    terms.version.label()
                )),
                other => Some(format!("expected a term string, got {}", show(other))),
            },
            Coercion::Xsd(x) => xsd_problem(x, v),
        };
        if let Some(p) = problem {
            self.fail(ptr, TERM_DATATYPE, format!("`{key}`: {p}"));
        }
    }
}

/// The first remote context IRI that is not a Caliper context.
fn foreign_context(ctx: Option<&Value>) -> Option<&str> {
    let Some(Value::Array(a)) = ctx else {
        return None;
    };
    a.iter()
        .filter_map(Value::as_str)
        .find(|s| vocab::version_of_context(s).is_none())
}

/// Terms the specification defines but the official context files lack:
/// `(version, term)`. Accepted with a warning.
const CONTEXT_GAPS: &[(Version, &str)] = &[
    (Version::V1p2, "storageName"),
    (Version::V1p2, "Manager#Manager"),
];

fn context_gap(version: Version, term: &str) -> bool {
    CONTEXT_GAPS.contains(&(version, term))
}

/// Lists of plain strings in the model (the contexts type several as `@id`).
const STRING_LISTS: &[&str] = &[
    "keywords",
    "itemLabels",
    "itemValues",
    "categories",
    "tags",
    "values",
    "selections",
];

fn datetime_message(name: &str, v: &Value) -> String {
    match v {
        Value::String(s) if formats::is_iso_datetime(s) => format!(
            "{name} \"{s}\" is ISO 8601 but not YYYY-MM-DDTHH:mm:ss.SSSZ (UTC, millisecond precision)"
        ),
        other => format!(
            "{name} {} is not a YYYY-MM-DDTHH:mm:ss.SSSZ date-time",
            show(other)
        ),
    }
}

fn id_problem(v: &Value) -> Option<String> {
    match v {
        Value::Object(_) => None,
        Value::String(s) if formats::is_iri(s) => None,
        Value::String(s) => Some(format!("\"{s}\" is neither an object nor an IRI")),
        other => Some(format!("expected an object or an IRI, got {}", show(other))),
    }
}

fn xsd_problem(xsd: &str, v: &Value) -> Option<String> {
    let ok = match xsd {
        "string" => v.is_string(),
        "integer" | "long" | "int" => v.is_i64() || v.is_u64(),
        "nonNegativeInteger" => v.is_u64(),
        "decimal" | "double" | "float" => v.is_number(),
        "boolean" => v.is_boolean(),
        "dateTime" => return datetime_problem(v),
        "duration" => v.as_str().is_some_and(formats::is_iso_duration),
        _ => true,
    };
    (!ok).then(|| format!("expected xsd:{xsd}, got {}", show(v)))
}

fn datetime_problem(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if formats::is_caliper_datetime(s) => None,
        other => Some(datetime_message("value", other)),
    }
}
