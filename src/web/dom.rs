//! A small element builder over web-sys that only ever inserts **text
//! nodes**: names, labels and environment values from an image are data,
//! and `innerHTML` is never used. DOM calls that fail (they should not, the
//! tag names are constants) leave the element out instead of panicking.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, Node};

thread_local! {
    /// The page's document, asked for once: every element and text node
    /// is made from it, and asking the window costs two calls into the
    /// browser each time (a tree row is a dozen nodes).
    static DOCUMENT: Option<Document> = web_sys::window().and_then(|w| w.document());
}

/// The page's document, if there is one (there always is in a browser tab).
pub fn document() -> Option<Document> {
    DOCUMENT.with(Clone::clone)
}

/// An element under construction (and whether it has classes yet).
pub struct El(Option<Element>, bool);

/// Starts an element.
pub fn el(tag: &str) -> El {
    El(
        DOCUMENT.with(|d| d.as_ref().and_then(|d| d.create_element(tag).ok())),
        false,
    )
}

impl El {
    /// Sets an attribute.
    pub fn attr(self, name: &str, value: &str) -> El {
        if let Some(e) = &self.0 {
            let _ = e.set_attribute(name, value);
        }
        self
    }

    /// Sets an attribute when `value` is `Some`.
    pub fn attr_opt(self, name: &str, value: Option<&str>) -> El {
        match value {
            Some(v) => self.attr(name, v),
            None => self,
        }
    }

    /// Adds CSS classes (space-separated): the first call sets them all at
    /// once, later ones add to them.
    pub fn class(mut self, classes: &str) -> El {
        if let Some(e) = &self.0 {
            if self.1 {
                for c in classes.split_whitespace() {
                    let _ = e.class_list().add_1(c);
                }
            } else {
                e.set_class_name(classes.trim());
                self.1 = true;
            }
        }
        self
    }

    /// Appends a text node (`append` of a string makes one; nothing in it
    /// is ever read as markup).
    pub fn text(self, text: &str) -> El {
        if let Some(e) = &self.0 {
            let _ = e.append_with_str_1(text);
        }
        self
    }

    /// Appends a child element.
    pub fn child(self, child: El) -> El {
        if let (Some(e), Some(c)) = (&self.0, child.0) {
            let _ = e.append_child(&c);
        }
        self
    }

    /// Appends several children.
    pub fn children(self, children: impl IntoIterator<Item = El>) -> El {
        if let Some(e) = &self.0 {
            for c in children.into_iter().filter_map(|c| c.0) {
                let _ = e.append_child(&c);
            }
        }
        self
    }

    /// Sets a CSS property through the CSSOM (allowed by the page's CSP,
    /// unlike a `style` attribute).
    pub fn style(self, property: &str, value: &str) -> El {
        if let Some(h) = self.0.as_ref().and_then(|e| e.dyn_ref::<HtmlElement>()) {
            let _ = h.style().set_property(property, value);
        }
        self
    }

    /// The element.
    pub fn build(self) -> Option<Element> {
        self.0
    }
}

/// Removes every child of a node (in one call: setting no text content).
pub fn clear(node: &Node) {
    node.set_text_content(None);
}

/// Replaces a node's children with `children`.
pub fn replace_children(node: &Node, children: impl IntoIterator<Item = El>) {
    clear(node);
    for c in children.into_iter().filter_map(El::build) {
        let _ = node.append_child(&c);
    }
}

/// Sets a CSS property on an existing element (CSSOM).
pub fn set_style(e: &Element, property: &str, value: &str) {
    if let Some(h) = e.dyn_ref::<HtmlElement>() {
        let _ = h.style().set_property(property, value);
    }
}

/// The element with this id.
pub fn by_id(id: &str) -> Option<Element> {
    document()?.get_element_by_id(id)
}

/// Walks up from an event target to the closest element with `attr`, and
/// returns that attribute's value (event delegation).
pub fn closest_attr(target: Option<web_sys::EventTarget>, attr: &str) -> Option<(Element, String)> {
    let start: Element = target?.dyn_into().ok()?;
    let found = start.closest(&format!("[{attr}]")).ok()??;
    let value = found.get_attribute(attr)?;
    Some((found, value))
}
