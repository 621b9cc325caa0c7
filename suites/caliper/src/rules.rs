//! The validation rules: one case per rule, as data.
//!
//! Each rule names the normative sentence it checks (verbatim from the Caliper
//! 1.2 text, or 1.1 where 1.2 has none), and the kind of node it applies to, so a
//! rule that met nothing to judge is reported `skip` with a reason instead of a
//! hollow `pass`.

use accredit_core::{CaseMeta, Level};

/// What a rule applies to (for the skip reason when the input has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every input document (file, stdin, NDJSON line).
    Document,
    /// Envelopes.
    Envelope,
    /// Events.
    Event,
    /// Entities (top-level describes and nested entity objects).
    Entity,
    /// Top-level event and entity describes.
    Describe,
    /// Extensions maps.
    Extensions,
    /// Terms, checked against the contexts of the schema directory.
    Context,
}

impl Scope {
    /// Why the rule was skipped when nothing in the input fell under it.
    pub fn skip_reason(self) -> &'static str {
        match self {
            Scope::Document => "no input document",
            Scope::Envelope => "no envelope in the input",
            Scope::Event => "no event in the input",
            Scope::Entity => "no entity in the input",
            Scope::Describe => "no event or entity describe in the input",
            Scope::Extensions => "no `extensions` property in the input",
            Scope::Context => "no event or entity in the input to check against the contexts",
        }
    }
}

/// A rule: case metadata plus scope.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The case metadata (the rule id is `meta.id`).
    pub meta: CaseMeta,
    /// What it applies to.
    pub scope: Scope,
}

/// `caliper.document.well-formed`
pub const DOCUMENT_WELL_FORMED: &str = "caliper.document.well-formed";
/// `caliper.document.recognized`
pub const DOCUMENT_RECOGNIZED: &str = "caliper.document.recognized";
/// `caliper.envelope.required-properties`
pub const ENVELOPE_REQUIRED: &str = "caliper.envelope.required-properties";
/// `caliper.envelope.no-custom-properties`
pub const ENVELOPE_NO_CUSTOM: &str = "caliper.envelope.no-custom-properties";
/// `caliper.envelope.sensor-iri`
pub const ENVELOPE_SENSOR: &str = "caliper.envelope.sensor-iri";
/// `caliper.envelope.send-time-format`
pub const ENVELOPE_SEND_TIME: &str = "caliper.envelope.send-time-format";
/// `caliper.envelope.data-version`
pub const ENVELOPE_DATA_VERSION: &str = "caliper.envelope.data-version";
/// `caliper.envelope.data`
pub const ENVELOPE_DATA: &str = "caliper.envelope.data";
/// `caliper.describe.context`
pub const DESCRIBE_CONTEXT: &str = "caliper.describe.context";
/// `caliper.event.required-properties`
pub const EVENT_REQUIRED: &str = "caliper.event.required-properties";
/// `caliper.event.id-urn-uuid`
pub const EVENT_ID: &str = "caliper.event.id-urn-uuid";
/// `caliper.event.type-known`
pub const EVENT_TYPE: &str = "caliper.event.type-known";
/// `caliper.event.action-allowed`
pub const EVENT_ACTION: &str = "caliper.event.action-allowed";
/// `caliper.event.event-time-format`
pub const EVENT_TIME: &str = "caliper.event.event-time-format";
/// `caliper.event.profile-known`
pub const EVENT_PROFILE: &str = "caliper.event.profile-known";
/// `caliper.event.entity-reference`
pub const EVENT_ENTITY_REF: &str = "caliper.event.entity-reference";
/// `caliper.event.property-range`
pub const EVENT_RANGE: &str = "caliper.event.property-range";
/// `caliper.entity.property-range`
pub const ENTITY_RANGE: &str = "caliper.entity.property-range";
/// `caliper.entity.required-properties`
pub const ENTITY_REQUIRED: &str = "caliper.entity.required-properties";
/// `caliper.entity.type-known`
pub const ENTITY_TYPE: &str = "caliper.entity.type-known";
/// `caliper.entity.id-iri`
pub const ENTITY_ID: &str = "caliper.entity.id-iri";
/// `caliper.extensions.object`
pub const EXTENSIONS_OBJECT: &str = "caliper.extensions.object";
/// `caliper.term.defined-in-context`
pub const TERM_DEFINED: &str = "caliper.term.defined-in-context";
/// `caliper.term.datatype`
pub const TERM_DATATYPE: &str = "caliper.term.datatype";

const DOC: &str = "Caliper Analytics 1.2";

/// The public URL of a section of the 1.2 specification.
macro_rules! spec_url {
    ($anchor:literal) => {
        concat!("https://www.imsglobal.org/spec/caliper/v1p2", $anchor)
    };
}

#[allow(clippy::too_many_arguments)]
const fn rule(
    id: &'static str,
    title: &'static str,
    section: &'static str,
    url: &'static str,
    requirement: &'static str,
    level: Level,
    official: bool,
    scope: Scope,
) -> Rule {
    Rule {
        meta: CaseMeta {
            id,
            title,
            role: "document",
            spec_document: DOC,
            spec_section: section,
            spec_url: url,
            requirement,
            level,
            official,
            tags: &["caliper", "sensor"],
            exclusive: false,
        },
        scope,
    }
}

/// Every rule, in report order.
pub fn rules() -> Vec<Rule> {
    use Level::{Must, Should};
    vec![
        rule(
            DOCUMENT_WELL_FORMED,
            "Input is well-formed UTF-8 JSON (or NDJSON)",
            "5.3",
            spec_url!("#jsonldPayload"),
            "Serialized Events and Entities MUST conform to the syntactical requirements defined in the Caliper specification, and be contained within a Caliper Envelope using proper JSON-LD context and serialization",
            Must,
            false,
            Scope::Document,
        ),
        rule(
            DOCUMENT_RECOGNIZED,
            "Each document is an envelope, event or entity",
            "5.2",
            spec_url!("#envelope"),
            "Serialized Events and Entities MUST conform to the syntactical requirements defined in the Caliper specification, and be contained within a Caliper Envelope using proper JSON-LD context and serialization",
            Must,
            false,
            Scope::Document,
        ),
        rule(
            ENVELOPE_REQUIRED,
            "Envelope has sensor, sendTime, dataVersion and data",
            "5.2",
            spec_url!("#envelope"),
            "The `sensor`, `sendTime`, `dataVersion` and `data` properties are required.  Each property MUST be referenced only once.",
            Must,
            true,
            Scope::Envelope,
        ),
        rule(
            ENVELOPE_NO_CUSTOM,
            "Envelope has no custom properties",
            "5.2",
            spec_url!("#envelope"),
            "No custom properties are permitted.",
            Must,
            false,
            Scope::Envelope,
        ),
        rule(
            ENVELOPE_SENSOR,
            "Envelope sensor is an IRI",
            "5.2",
            spec_url!("#envelope"),
            "The identifier SHOULD be in the form of an IRI.",
            Should,
            false,
            Scope::Envelope,
        ),
        rule(
            ENVELOPE_SEND_TIME,
            "Envelope sendTime is YYYY-MM-DDTHH:mm:ss.SSSZ",
            "5.2",
            spec_url!("#envelope"),
            "The value MUST be expressed using the format YYYY-MM-DDTHH:mm:ss.SSSZ set to UTC with no offset specified.",
            Must,
            false,
            Scope::Envelope,
        ),
        rule(
            ENVELOPE_DATA_VERSION,
            "Envelope dataVersion is the Caliper context IRI of its data",
            "5.2",
            spec_url!("#envelope"),
            "The value MUST be set to the IMS Caliper Context IRI used to resolve the meanings of the `data` payload's terms and values.",
            Must,
            false,
            Scope::Envelope,
        ),
        rule(
            ENVELOPE_DATA,
            "Envelope data is an array of event and entity describes",
            "5.2",
            spec_url!("#envelope"),
            "An ordered collection of one or more Caliper Event and/or Entity describe objects.",
            Must,
            false,
            Scope::Envelope,
        ),
        rule(
            DESCRIBE_CONTEXT,
            "Each describe carries the Caliper @context (last if an array)",
            "4.1",
            spec_url!("#jsonldContext"),
            "Each Caliper Event and Entity describe document generated by a Sensor MUST be provisioned with a JSON-LD `@context` defined as a property of the top-level object.",
            Must,
            true,
            Scope::Describe,
        ),
        rule(
            EVENT_REQUIRED,
            "Event has id, type, actor, action, object and eventTime",
            "2.1",
            spec_url!("#event"),
            "Certain Event properties are required and MUST be specified.  Required properties include: id, type, actor, action, object and eventTime.",
            Must,
            true,
            Scope::Event,
        ),
        rule(
            EVENT_ID,
            "Event id is a urn:uuid URN (version 4 recommended)",
            "1.4",
            spec_url!("#uuidDef"),
            "Each Caliper Event MUST be assigned a UUID that is expressed as a URN using the form `urn:uuid:<UUID>` as described in RFC 4122.",
            Must,
            true,
            Scope::Event,
        ),
        rule(
            EVENT_TYPE,
            "Event type is a Caliper event term of its version",
            "2.1",
            spec_url!("#event"),
            "A string value corresponding to the Term defined for the Event in the external IMS Caliper JSON-LD context document.",
            Must,
            true,
            Scope::Event,
        ),
        rule(
            EVENT_ACTION,
            "Event action is one the event type allows",
            "Appendix A",
            spec_url!("#actions"),
            "The `action` range is limited to the set of actions described in this specification and may be further constrained by the chosen Event type.  Only one `action` Term may be specified per Event.",
            Must,
            true,
            Scope::Event,
        ),
        rule(
            EVENT_TIME,
            "Event eventTime is YYYY-MM-DDTHH:mm:ss.SSSZ",
            "2.1",
            spec_url!("#event"),
            "The value MUST be expressed using the format YYYY-MM-DDTHH:mm:ss.SSSZ set to UTC with no offset specified.",
            Must,
            true,
            Scope::Event,
        ),
        rule(
            EVENT_PROFILE,
            "Event profile is a Caliper metric profile term",
            "2.1",
            spec_url!("#event"),
            "The `profile` range is limited to the set of profiles described in this specification and any metric profile extension specifications extending this specification.",
            Must,
            false,
            Scope::Event,
        ),
        rule(
            EVENT_ENTITY_REF,
            "Event entities are objects or IRIs",
            "2.1",
            spec_url!("#event"),
            "Each Entity participating in the Event MUST be expressed either as an object or as a string corresponding to the resource's IRI.",
            Must,
            true,
            Scope::Event,
        ),
        rule(
            EVENT_RANGE,
            "Event entities have the type the event type prescribes",
            "Appendix B",
            spec_url!("#events"),
            "The `object` value MUST be expressed either as an object or as a string corresponding to the object's IRI.  [Each Event subtype's property table gives the Entity type of `actor`, `object`, `generated` and `target`, e.g. ViewEvent: object DigitalResource.]",
            Must,
            true,
            Scope::Event,
        ),
        rule(
            ENTITY_RANGE,
            "Entity-valued properties hold the entity type the model prescribes",
            "Appendix C",
            spec_url!("#entities"),
            "Adherence to the rules associated with each required and/or optional property specified is mandatory.  [Each Entity subtype's property table gives the range of its entity-valued properties, e.g. Attempt: assignable DigitalResource.]",
            Must,
            false,
            Scope::Entity,
        ),
        rule(
            ENTITY_REQUIRED,
            "Entities carry the properties their type requires",
            "Appendix C",
            spec_url!("#entities"),
            "When representing an Entity as an object the `id` and `type` properties are required; [subtypes such as AggregateMeasure (metric, metricValue), SystemIdentifier (identifier, identifierType) and TextPositionSelector (start, end) require more.]",
            Must,
            false,
            Scope::Entity,
        ),
        rule(
            ENTITY_TYPE,
            "Entity type is a Caliper entity term of its version",
            "2.2",
            spec_url!("#entity"),
            "A string value corresponding to the Term defined for the Entity in the external IMS Caliper JSON-LD context document.",
            Must,
            false,
            Scope::Entity,
        ),
        rule(
            ENTITY_ID,
            "Entity objects have an IRI id",
            "2.2",
            spec_url!("#entity"),
            "When representing an Entity as an object the `id` and `type` properties are required; A valid IRI MUST be specified.",
            Must,
            false,
            Scope::Entity,
        ),
        rule(
            EXTENSIONS_OBJECT,
            "extensions is a map of key:value pairs",
            "2.1",
            spec_url!("#event"),
            "Custom attributes not described by the model MAY be included but MUST be added to the `extensions` property as a map of key:value pairs.",
            Must,
            false,
            Scope::Extensions,
        ),
        rule(
            TERM_DEFINED,
            "Every property and type is a term of the Caliper context",
            "4.1",
            spec_url!("#jsonldContext"),
            "Custom attributes not described by the model MAY be included but MUST be added to the `extensions` property as a map of key:value pairs.",
            Must,
            false,
            Scope::Context,
        ),
        rule(
            TERM_DATATYPE,
            "Every property value matches the context's type coercion",
            "4.3",
            spec_url!("#jsonldTypes"),
            "Adherence to the rules associated with each required and/or optional property specified is mandatory.",
            Must,
            false,
            Scope::Context,
        ),
    ]
}
