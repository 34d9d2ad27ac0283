//! SVG previews as PNG pictures (issue 10). An SVG is a document that can
//! hold scripts; previewed through a typed `blob:` URL, that URL opened in
//! its own tab was a document of the page's origin, under the page's
//! policy, with the page's IndexedDB in reach. Here the SVG is only ever
//! loaded as an *image* (where SVG runs no script and loads nothing), from
//! a `blob:` URL revoked as soon as it is decoded, drawn onto a canvas at
//! [`raster_size`] and encoded as PNG: what the preview shows, and what its
//! URL opens, is pixels.

use js_sys::{Function, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement, Url};

use crate::app::file::content::raster_size;

use super::dom;

/// The SVG bytes in `svg` drawn as a PNG, or why they could not be.
pub async fn svg_to_png(svg: &Blob) -> Result<Blob, String> {
    let image = decode(svg).await?;
    let (width, height) = raster_size(image.natural_width(), image.natural_height());
    let canvas: HtmlCanvasElement = dom::document()
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|c| c.dyn_into().ok())
        .ok_or("this browser has no canvas to draw it on")?;
    canvas.set_width(width);
    canvas.set_height(height);
    let context: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or("this browser has no 2D canvas to draw it on")?;
    context
        .draw_image_with_html_image_element_and_dw_and_dh(
            &image,
            0.0,
            0.0,
            f64::from(width),
            f64::from(height),
        )
        .map_err(|_| "the browser could not draw it".to_owned())?;
    encode_png(&canvas).await
}

/// Loads the SVG as an image and waits until it is decoded; the `blob:`
/// URL lives only that long.
async fn decode(svg: &Blob) -> Result<HtmlImageElement, String> {
    let typed = svg
        .slice_with_f64_and_f64_and_content_type(0.0, svg.size(), "image/svg+xml")
        .map_err(|_| "its bytes could not be read".to_owned())?;
    let url = Url::create_object_url_with_blob(&typed)
        .map_err(|_| "its bytes could not be read".to_owned())?;
    let image = match HtmlImageElement::new() {
        Ok(i) => i,
        Err(_) => {
            let _ = Url::revoke_object_url(&url);
            return Err("this browser cannot load images here".to_owned());
        }
    };
    image.set_src(&url);
    let decoded = JsFuture::from(image.decode()).await;
    let _ = Url::revoke_object_url(&url);
    decoded.map_err(|_| "it is not an SVG image this browser can show".to_owned())?;
    Ok(image)
}

/// The canvas as a PNG `Blob` (`toBlob` passes `null` when it fails).
async fn encode_png(canvas: &HtmlCanvasElement) -> Result<Blob, String> {
    let mut started = true;
    let promise = Promise::new(&mut |resolve: Function, _reject: Function| {
        let done = Closure::once_into_js(move |blob: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &blob);
        });
        started = canvas
            .to_blob_with_type(done.unchecked_ref(), "image/png")
            .is_ok();
    });
    if !started {
        return Err("the browser refused to encode the drawing".to_owned());
    }
    let value = JsFuture::from(promise)
        .await
        .map_err(|_| "the drawing could not be encoded".to_owned())?;
    value
        .dyn_into::<Blob>()
        .map_err(|_| "the drawing could not be encoded".to_owned())
}
