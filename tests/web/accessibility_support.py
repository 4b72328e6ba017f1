"""In-page accessibility audits for the browser tests: WCAG 2 text contrast, accessible names,
and walking the keyboard focus. Each audit is one ``page.evaluate`` that returns what fails, so
an assertion message can name the element, its colours and the ratio."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

# why: one script finds every failure on the page in a single round trip; colours are resolved
# through a 1x1 canvas so any CSS colour syntax the browser computes (rgb(), color-mix() results,
# system colours) becomes sRGB bytes.
CONTRAST_SCRIPT = """
() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const pen = canvas.getContext("2d", { willReadFrequently: true });
  const parsed = new Map();

  /** Any computed CSS colour as [r, g, b, a], r, g, b in 0..255 and a in 0..1. */
  function rgba(css) {
    if (!parsed.has(css)) {
      const plain = css.match(/^rgba?\\(([\\d.]+), ([\\d.]+), ([\\d.]+)(?:, ([\\d.]+))?\\)$/);
      if (plain) {
        parsed.set(css, [+plain[1], +plain[2], +plain[3], plain[4] === undefined ? 1 : +plain[4]]);
      } else {
        pen.clearRect(0, 0, 1, 1);
        pen.fillStyle = css;
        pen.fillRect(0, 0, 1, 1);
        const [r, g, b, a] = pen.getImageData(0, 0, 1, 1).data;
        parsed.set(css, [r, g, b, a / 255]);
      }
    }
    return parsed.get(css);
  }

  const premultiplied = ([r, g, b, a]) => [(r / 255) * a, (g / 255) * a, (b / 255) * a, a];
  const over = (top, bottom) => top.map((c, i) => c + bottom[i] * (1 - top[3]));

  /** The colour a pixel of `element` ends up as: `ink` (or nothing) painted on the element,
   *  then every ancestor's background behind it, each group faded by its opacity, all over
   *  the white canvas behind the page. */
  function painted(element, ink) {
    let layer = ink ? premultiplied(ink) : [0, 0, 0, 0];
    for (let node = element; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      layer = over(layer, premultiplied(rgba(style.backgroundColor)));
      const opacity = Number(style.opacity);
      layer = layer.map((c) => c * opacity);
    }
    return over(layer, [1, 1, 1, 1]).slice(0, 3);
  }

  function luminance(rgb) {
    const linear = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    const [r, g, b] = rgb.map(linear);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  const hex = (rgb) =>
    "#" + rgb.map((c) => Math.round(c * 255).toString(16).padStart(2, "0")).join("");

  /** Hidden from sight: not rendered, or clipped to a 1 px box (the visually-hidden idiom). */
  function hidden(element) {
    if (!element.checkVisibility({ visibilityProperty: true, opacityProperty: true })) return true;
    for (let node = element; node; node = node.parentElement) {
      const box = node.getBoundingClientRect();
      const clips = getComputedStyle(node).overflow !== "visible";
      if (clips && (box.width <= 1 || box.height <= 1)) return true;
    }
    return false;
  }

  function describe(element) {
    const id = element.id ? "#" + element.id : "";
    const classes = [...element.classList].map((name) => "." + name).join("");
    return element.tagName.toLowerCase() + id + classes;
  }

  const failures = [];
  const seen = new Set();

  /** Check text drawn in `style.color` (or `ink`) on `element`. */
  function check(element, text, style, ink) {
    // why: WCAG 1.4.3 exempts text of inactive (disabled) user interface components
    if (element.closest(":disabled")) return;
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const required = large ? 3 : 4.5;
    const foreground = painted(element, ink ?? rgba(style.color));
    const background = painted(element, null);
    const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    if (ratio >= required) return;
    const failure = {
      element: describe(element),
      text: text.trim().replace(/\\s+/g, " ").slice(0, 40),
      color: hex(foreground),
      background: hex(background),
      ratio: Math.round(ratio * 100) / 100,
      required,
    };
    const key = [failure.element, failure.color, failure.background].join(" ");
    if (!seen.has(key)) {
      seen.add(key);
      failures.push(failure);
    }
  }

  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!node.data.trim() || element.closest("script, style, option")) continue;
    range.selectNodeContents(node);
    if (range.getClientRects().length === 0 || hidden(element)) continue;
    check(element, node.data, getComputedStyle(element));
  }
  // text the browser draws inside form controls: values, the chosen option, placeholders
  for (const control of document.querySelectorAll("input, select, textarea")) {
    const type = control.type;
    if (["hidden", "checkbox", "radio", "file", "range", "color"].includes(type)) continue;
    if (hidden(control)) continue;
    const style = getComputedStyle(control);
    if (control.tagName === "SELECT") {
      check(control, control.selectedOptions[0]?.text ?? "", style);
    } else if (control.value) {
      check(control, control.value, style);
    } else if (control.placeholder) {
      const placeholder = getComputedStyle(control, "::placeholder");
      check(control, control.placeholder, placeholder, rgba(placeholder.color));
    }
  }
  return failures;
}
"""

NAMES_SCRIPT = """
() => {
  /** The text a screen reader reads for the contents of `element` (aria-hidden parts left out). */
  function contentText(element) {
    let text = "";
    for (const child of element.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) text += child.data;
      else if (child.nodeType !== Node.ELEMENT_NODE) continue;
      else if (child.getAttribute("aria-hidden") === "true") continue;
      else if (child.tagName === "IMG") text += child.getAttribute("alt") ?? "";
      else text += contentText(child);
    }
    return text.trim();
  }

  function ariaName(element) {
    const label = (element.getAttribute("aria-label") ?? "").trim();
    if (label) return label;
    const ids = (element.getAttribute("aria-labelledby") ?? "").split(/\\s+/).filter(Boolean);
    const labels = ids.map((id) => document.getElementById(id)).filter(Boolean);
    return labels.map(contentText).join(" ").trim();
  }

  function describe(element) {
    const id = element.id ? "#" + element.id : "";
    const classes = [...element.classList].map((name) => "." + name).join("");
    const type = element.type && element.tagName === "INPUT" ? `[type=${element.type}]` : "";
    return element.tagName.toLowerCase() + id + classes + type;
  }

  const problems = [];
  for (const control of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const labels = [...(control.labels ?? [])].map(contentText).filter(Boolean);
    if (!ariaName(control) && !labels.length) problems.push(`${describe(control)} has no label`);
  }
  for (const button of document.querySelectorAll("button, [role=button]")) {
    if (!ariaName(button) && !contentText(button)) problems.push(`${describe(button)} has no name`);
  }
  for (const link of document.querySelectorAll("a[href]")) {
    if (!ariaName(link) && !contentText(link)) problems.push(`${describe(link)} has no name`);
  }
  for (const image of document.querySelectorAll("img")) {
    if (!image.hasAttribute("alt")) problems.push(`${describe(image)} (${image.src}) has no alt`);
  }
  for (const image of document.querySelectorAll("[role=img]")) {
    if (!ariaName(image)) problems.push(`${describe(image)} has role img and no name`);
  }
  return problems;
}
"""

FOCUS_SCRIPT = """
(selector) => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const classes = [...element.classList].map((name) => "." + name).join("");
  const name = (element.getAttribute("aria-label") ?? element.textContent ?? "").trim();
  return {
    element: `${element.tagName.toLowerCase()}${classes} "${name.slice(0, 30)}"`,
    matches: element.matches(selector),
    ring: element.matches(":focus-visible") && (outlined || style.boxShadow !== "none"),
  };
}
"""


def contrast_failures(page: Page) -> list[dict[str, Any]]:
    """Visible text on ``page`` below WCAG 2 AA contrast (4.5:1, or 3:1 for large text)."""
    failures: list[dict[str, Any]] = page.evaluate(CONTRAST_SCRIPT)
    return failures


def describe_contrast(failures_by_page: dict[str, list[dict[str, Any]]]) -> str:
    """One line per failure, under the page it was found on."""
    lines = []
    for name, failures in failures_by_page.items():
        for f in failures:
            lines.append(
                f"{name}: {f['element']} {f['text']!r} {f['color']} on {f['background']}"
                f" is {f['ratio']}:1, needs {f['required']}:1"
            )
    return "\n".join(lines)


def unnamed_elements(page: Page) -> list[str]:
    """Inputs without a label, buttons and links without a name, images without alt text."""
    problems: list[str] = page.evaluate(NAMES_SCRIPT)
    return problems


def tab_to(page: Page, selector: str, key: str = "Tab", limit: int = 60) -> list[dict[str, Any]]:
    """Press ``key`` until the focused element matches ``selector``; every stop on the way,
    each with ``ring``: whether its focus is drawn. AssertionError if ``limit`` presses miss."""
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press(key)
        stop = page.evaluate(FOCUS_SCRIPT, selector)
        if stop is None:
            continue
        stops.append(stop)
        if stop["matches"]:
            return stops
    visited = ", ".join(stop["element"] for stop in stops)
    raise AssertionError(f"{limit} presses of {key} never reached {selector}: {visited}")


def unringed(stops: list[dict[str, Any]]) -> list[str]:
    """The focus stops whose focus is not drawn (no outline and no box shadow)."""
    return [stop["element"] for stop in stops if not stop["ring"]]
