//! Just enough HTML to find forms: tags, attributes, character references.
//!
//! Why not a full HTML parser: the harness only needs the forms of auto-submitting
//! pages (`form_post` response mode, tools' own relay pages). This scanner walks
//! tags left to right, skips comments and `<script>`/`<style>` bodies, accepts
//! double-, single- and unquoted attribute values in any case, and never panics on
//! malformed input (everything is indexed with `get`/`find`).

/// A form found in a page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HtmlForm {
    /// The `action` attribute (decoded), if any.
    pub action: Option<String>,
    /// The `method` attribute, lowercased; `get` by default.
    pub method: String,
    /// Successful controls: named inputs (hidden, text...; checked boxes), textareas.
    pub fields: Vec<(String, String)>,
}

/// A tag: lowercase name, closing or not, attributes (lowercase names, decoded values).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tag {
    name: String,
    closing: bool,
    attrs: Vec<(String, Option<String>)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }
    fn has(&self, name: &str) -> bool {
        self.attrs.iter().any(|(k, _)| k == name)
    }
}

/// Decodes the character references that matter in attribute values.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn parse_attrs(s: &str) -> Vec<(String, Option<String>)> {
    let mut attrs = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name = s.get(start..i).unwrap_or("").to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let value = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vstart = i + 1;
                let vend = b[vstart..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(b.len(), |p| vstart + p);
                i = (vend + 1).min(b.len());
                s.get(vstart..vend).unwrap_or("")
            } else {
                let vstart = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                s.get(vstart..i).unwrap_or("")
            };
            attrs.push((name, Some(decode_entities(value))));
        } else {
            attrs.push((name, None));
        }
    }
    attrs
}

/// Finds the end of a tag starting at `from` (just after `<`), honouring quotes.
fn tag_end(html: &str, from: usize) -> Option<usize> {
    let b = html.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = from;
    while i < b.len() {
        match (quote, b[i]) {
            (None, b'"') | (None, b'\'') => quote = Some(b[i]),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let lower = html.to_ascii_lowercase();
    let mut pos = 0;
    while let Some(off) = html.get(pos..).and_then(|r| r.find('<')) {
        let start = pos + off + 1;
        if html.get(start..).is_some_and(|r| r.starts_with("!--")) {
            pos = html
                .get(start..)
                .and_then(|r| r.find("-->"))
                .map_or(html.len(), |e| start + e + 3);
            continue;
        }
        let Some(end) = tag_end(html, start) else {
            break;
        };
        let inner = html.get(start..end).unwrap_or("");
        let (closing, inner) = match inner.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, inner),
        };
        let name_len = inner
            .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
            .unwrap_or(inner.len());
        let name = inner.get(..name_len).unwrap_or("").to_ascii_lowercase();
        pos = end + 1;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let attrs = parse_attrs(inner.get(name_len..).unwrap_or(""));
        // Skip raw-text element bodies so markup inside scripts is not read as tags.
        if !closing && (name == "script" || name == "style" || name == "textarea") {
            let close = format!("</{name}");
            let body_end = lower
                .get(pos..)
                .and_then(|r| r.find(&close))
                .map(|e| pos + e);
            if name == "textarea" {
                out.push(Tag {
                    name: name.clone(),
                    closing,
                    attrs: {
                        let mut a = attrs.clone();
                        let text = body_end.and_then(|e| html.get(pos..e)).unwrap_or("");
                        a.push(("#text".into(), Some(decode_entities(text))));
                        a
                    },
                });
            }
            pos = body_end.unwrap_or(html.len());
            continue;
        }
        out.push(Tag {
            name,
            closing,
            attrs,
        });
    }
    out
}

/// Every form of the page, with its successful controls.
pub fn forms(html: &str) -> Vec<HtmlForm> {
    let mut out: Vec<HtmlForm> = Vec::new();
    let mut current: Option<HtmlForm> = None;
    for tag in tags(html) {
        match (tag.name.as_str(), tag.closing) {
            ("form", false) => {
                if let Some(f) = current.take() {
                    out.push(f);
                }
                current = Some(HtmlForm {
                    action: tag.attr("action").map(str::to_string),
                    method: tag.attr("method").unwrap_or("get").to_ascii_lowercase(),
                    fields: vec![],
                });
            }
            ("form", true) => {
                if let Some(f) = current.take() {
                    out.push(f);
                }
            }
            ("input", false) => {
                let Some(form) = current.as_mut() else {
                    continue;
                };
                let Some(name) = tag.attr("name").filter(|n| !n.is_empty()) else {
                    continue;
                };
                let kind = tag.attr("type").unwrap_or("text").to_ascii_lowercase();
                let include = match kind.as_str() {
                    "submit" | "button" | "image" | "reset" | "file" => false,
                    "checkbox" | "radio" => tag.has("checked"),
                    _ => true,
                };
                if include && !tag.has("disabled") {
                    let value = tag.attr("value").unwrap_or(match kind.as_str() {
                        "checkbox" | "radio" => "on",
                        _ => "",
                    });
                    form.fields.push((name.to_string(), value.to_string()));
                }
            }
            ("textarea", false) => {
                if let (Some(form), Some(name)) = (current.as_mut(), tag.attr("name")) {
                    let text = tag.attr("#text").unwrap_or("");
                    form.fields.push((name.to_string(), text.to_string()));
                }
            }
            _ => {}
        }
    }
    if let Some(f) = current.take() {
        out.push(f);
    }
    out
}

/// The form a browser would submit on load: the page has a form and a script or
/// `onload` handler calling `.submit()`. Returns the first form of the page.
pub fn auto_submit_form(html: &str) -> Option<HtmlForm> {
    let lower = html.to_ascii_lowercase();
    if !lower.contains(".submit()") && !lower.contains(".submit ()") {
        return None;
    }
    forms(html).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[rstest]
    #[case::plain_double_quotes(
        r#"<body onload="document.forms[0].submit()"><form method="post" action="http://t/launch"><input type="hidden" name="id_token" value="a.b.c"/><input type="hidden" name="state" value="s1"></form></body>"#,
        Some("http://t/launch"), "post", &[("id_token", "a.b.c"), ("state", "s1")])]
    #[case::uppercase_single_and_unquoted(
        "<FORM METHOD=POST ACTION='/l?a=1&amp;b=2'><INPUT TYPE=hidden NAME=state VALUE=x&#x27;y></FORM><script>document.forms[0].submit()</script>",
        Some("/l?a=1&b=2"), "post", &[("state", "x'y")])]
    #[case::script_and_comment_markup_ignored(
        "<!-- <form action='evil'> --><script>var s='<form action=\"evil\">';</script><form method='post' action='good'><input name='a' value='1'><input type='submit' name='go' value='Go'></form><script>f.submit()</script>",
        Some("good"), "post", &[("a", "1")])]
    #[case::gt_inside_quotes(
        r#"<form method="post" action="/x"><input name="t" value="a>b"></form><script>document.forms[0].submit();</script>"#,
        Some("/x"), "post", &[("t", "a>b")])]
    #[case::checkbox_textarea(
        "<form method=post><input type=checkbox name=c checked><input type=checkbox name=d><textarea name=ta>hi &amp; bye</textarea></form><script>x.submit()</script>",
        None, "post", &[("c", "on"), ("ta", "hi & bye")])]
    fn auto_submitting_forms_are_parsed(
        #[case] html: &str,
        #[case] action: Option<&str>,
        #[case] method: &str,
        #[case] fields: &[(&str, &str)],
    ) {
        let form = auto_submit_form(html).unwrap_or_else(|| panic!("no form in {html}"));
        assert_eq!(form.action.as_deref(), action);
        assert_eq!(form.method, method);
        assert_eq!(form.fields, f(fields));
    }

    #[rstest]
    #[case::no_submit_script("<form method=post action=x><input name=a value=1></form>")]
    #[case::no_form("<script>document.forms[0].submit()</script>")]
    #[case::truncated("<form method=\"post action=<input name=")]
    #[case::garbage("<<<>>>&&&;;<form<input<\u{fffd}\u{1F600}")]
    #[case::empty("")]
    fn no_auto_submit_and_no_panic(#[case] html: &str) {
        assert_eq!(auto_submit_form(html), None);
    }

    #[rstest]
    #[case("a&amp;b", "a&b")]
    #[case("&#65;&#x42;", "AB")]
    #[case("&unknown; & &", "&unknown; & &")]
    #[case("&#xZZ;", "&#xZZ;")]
    #[case("&#1114112;", "&#1114112;")]
    fn entities(#[case] input: &str, #[case] expected: &str) {
        assert_eq!(decode_entities(input), expected);
    }
}
