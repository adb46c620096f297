"""A small accessibility audit of the page a browser test is on, run in the page itself.

The checks are the ones the portal promises on every page (WCAG 2.2 level AA where they come from):
- exactly one ``h1``;
- every form field a person can fill in has an accessible name: a ``<label for>``, a wrapping
  ``<label>``, ``aria-label`` or ``aria-labelledby`` (a placeholder or title is not a label);
- every ``img`` (and ``input type=image``) has an ``alt`` attribute (``alt=""`` marks decoration);
  every element with ``role=img`` has a name;
- visible text has a contrast ratio against its background of at least 4.5:1, or 3:1 for large
  text (24 px, or 18.66 px bold) — WCAG 1.4.3. The text colour comes from the computed style. Over
  plain colours the background is computed too: the ancestors' background colours composited over
  white. Over a gradient or a picture it is measured: the page is screenshotted with all text made
  transparent, and the text must reach the ratio against every colour that covers at least
  ``PAINTED_MIN_SHARE`` of its box.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image

NORMAL_TEXT_MIN_CONTRAST = 4.5
LARGE_TEXT_MIN_CONTRAST = 3.0
# A colour under painted text counts when it covers this share of the text's box (anti-aliased
# edges and thin decorations do not).
PAINTED_MIN_SHARE = 0.03
# At most this many texts over gradients or pictures are measured on one page (a screenshot each).
MAX_PAINTED = 40

# Runs in the browser: returns the problems found, the texts it could not measure, how many it
# measured, and the texts over a gradient or picture (``painted``) that Python measures in pixels.
_AUDIT_SCRIPT = r"""
({normalMin, largeMin, maxPainted}) => {
  const problems = [];
  const painted = [];
  const unmeasured = [];

  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    const cls = (el.getAttribute("class") || "").trim().split(/\s+/).filter(Boolean).slice(0, 2);
    if (cls.length) text += "." + cls.join(".");
    const words = (el.innerText || el.value || el.getAttribute("name") || "").trim().replace(/\s+/g, " ");
    return words ? `${text} "${words.slice(0, 40)}"` : text;
  };

  // 1. Exactly one h1.
  const headings = document.querySelectorAll("h1");
  if (headings.length !== 1) {
    problems.push(`the page has ${headings.length} h1 elements, not one: ` +
      Array.from(headings).map(describe).join(", "));
  }

  // 2. Every form field has a label.
  const hasName = (el) => {
    if ((el.getAttribute("aria-label") || "").trim()) return true;
    const labelledBy = (el.getAttribute("aria-labelledby") || "").trim();
    if (labelledBy && labelledBy.split(/\s+/).every((id) => {
      const node = document.getElementById(id);
      return node && node.textContent.trim();
    })) return true;
    return Array.from(el.labels || []).some((label) => label.textContent.trim());
  };
  const fields = document.querySelectorAll(
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset])" +
      ":not([type=image]), select, textarea"
  );
  for (const el of fields) {
    if (!hasName(el)) problems.push(`form field without a label: ${describe(el)} name=${el.name}`);
  }

  // 3. Images have alt text.
  for (const el of document.querySelectorAll("img, input[type=image]")) {
    if (!el.hasAttribute("alt")) {
      problems.push(`image without alt: ${el.getAttribute("src") || describe(el)}`);
    }
  }
  for (const el of document.querySelectorAll("[role=img]")) {
    if (!hasName(el)) problems.push(`role=img without a name: ${describe(el)}`);
  }

  // 4. Contrast of visible text.
  const parse = (value) => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const luminance = ({r, g, b}) => {
    const channel = (c) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const ratio = (one, two) => {
    const [hi, lo] = [luminance(one), luminance(two)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  // The background behind an element: its ancestors' colours composited over white, or "painted"
  // when a gradient or picture lies under the text (then the pixels are measured, see below).
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage && style.backgroundImage !== "none") return "painted";
      const colour = parse(style.backgroundColor);
      if (colour && colour.a > 0) {
        layers.push(colour);
        if (colour.a >= 1) break;
      }
    }
    let result = {r: 255, g: 255, b: 255, a: 1};
    for (const layer of layers.reverse()) result = over(layer, result);
    return result;
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility !== "visible" || style.display === "none") return false;
    if (Number(style.opacity) === 0) return false;
    const rect = el.getBoundingClientRect();
    // The visually-hidden pattern (1px box, clipped) is for screen readers only.
    return rect.width > 1 && rect.height > 1 && el.getClientRects().length > 0;
  };
  let texts = 0;
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el)) continue;
    if (el.closest("script, style, noscript, template, [hidden], [aria-hidden=true]")) continue;
    seen.add(el);
    if (!visible(el)) continue;
    let opaque = true;
    for (let a = el; a; a = a.parentElement) {
      if (Number(getComputedStyle(a).opacity) < 1) { opaque = false; break; }
    }
    const style = getComputedStyle(el);
    const bg = background(el);
    const colour = parse(style.color);
    if (!colour || (bg === "painted" && painted.length >= maxPainted)) {
      unmeasured.push(describe(el));
      continue;
    }
    // Disabled controls are exempt (WCAG 1.4.3 "incidental").
    if (el.closest(":disabled")) continue;
    texts += 1;
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const needed = large ? largeMin : normalMin;
    if (bg === "painted") {
      const rect = el.getBoundingClientRect();
      painted.push({
        what: describe(el), colour, needed, colourText: style.color,
        x: rect.left + window.scrollX, y: rect.top + window.scrollY, width: rect.width, height: rect.height,
      });
      continue;
    }
    const fg = colour.a < 1 ? over(colour, bg) : colour;
    const value = ratio(fg, bg);
    if (value + 1e-6 < needed) {
      problems.push(`contrast ${value.toFixed(2)}:1 < ${needed}:1 for ${describe(el)} ` +
        `(${style.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)})` +
        `${opaque ? "" : ", under partial opacity"})`);
    }
  }
  return {problems, unmeasured, texts, painted};
}
"""


@dataclass
class AuditResult:
    url: str
    problems: list[str] = field(default_factory=list)
    unmeasured: list[str] = field(default_factory=list)
    texts_measured: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def audit(page) -> AuditResult:
    """Run every check on the page as it is now (a Playwright sync ``Page``)."""
    outcome = page.evaluate(
        _AUDIT_SCRIPT,
        {
            "normalMin": NORMAL_TEXT_MIN_CONTRAST,
            "largeMin": LARGE_TEXT_MIN_CONTRAST,
            "maxPainted": MAX_PAINTED,
        },
    )
    problems = outcome["problems"] + _painted_contrast_problems(page, outcome["painted"])
    return AuditResult(
        url=page.url,
        problems=problems,
        unmeasured=outcome["unmeasured"],
        texts_measured=outcome["texts"],
    )


def _painted_contrast_problems(page, painted: list[dict]) -> list[str]:
    """Measure text over gradients and pictures against the pixels actually drawn under it."""
    if not painted:
        return []
    hide_text = page.add_style_tag(
        content="*, *::before, *::after { color: transparent !important; text-shadow: none !important;"
        " text-decoration-color: transparent !important; caret-color: transparent !important; }"
    )
    problems = []
    try:
        for text in painted:
            if text["width"] < 1 or text["height"] < 1:
                continue
            clip = {key: text[key] for key in ("x", "y", "width", "height")}
            shot = Image.open(io.BytesIO(page.screenshot(clip=clip, full_page=True))).convert("RGB")
            worst = _worst_contrast(text["colour"], shot)
            if worst is not None and worst[0] + 1e-6 < text["needed"]:
                value, (red, green, blue) = worst
                problems.append(
                    f"contrast {value:.2f}:1 < {text['needed']}:1 for {text['what']} "
                    f"({text['colourText']} on rgb({red}, {green}, {blue}) drawn by a gradient or picture)"
                )
    finally:
        hide_text.evaluate("node => node.remove()")
    return problems


def _worst_contrast(colour: dict, shot: Image.Image) -> tuple[float, tuple[int, int, int]] | None:
    pixels = shot.width * shot.height
    counts = shot.getcolors(maxcolors=pixels) or []
    worst = None
    for count, (red, green, blue) in counts:
        if count / pixels < PAINTED_MIN_SHARE:
            continue
        alpha = colour.get("a", 1)
        text = tuple(
            colour[channel] * alpha + under * (1 - alpha)
            for channel, under in zip("rgb", (red, green, blue), strict=True)
        )
        value = contrast_ratio(text, (red, green, blue))
        if worst is None or value < worst[0]:
            worst = (value, (red, green, blue))
    return worst


def contrast_ratio(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """WCAG contrast ratio of two sRGB colours (0–255 channels)."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _luminance(colour: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        scaled = value / 255
        return scaled / 12.92 if scaled <= 0.04045 else ((scaled + 0.055) / 1.055) ** 2.4

    red, green, blue = colour
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def assert_accessible(page) -> AuditResult:
    """Audit the page and fail with every problem listed if there is one."""
    result = audit(page)
    assert result.ok, f"accessibility problems on {result.url}:\n- " + "\n- ".join(result.problems)
    return result


# Runs in the browser: the elements that stick out to the right of the viewport.
_OVERFLOW_SCRIPT = r"""
() => {
  const width = document.documentElement.clientWidth;
  // scrollingElement: the root in standards mode, the body in quirks mode.
  const pageWidth = (document.scrollingElement || document.documentElement).scrollWidth;
  if (pageWidth <= width) return [];
  // Inside a box that scrolls (or clips) sideways, wide content does not widen the page. An
  // absolutely positioned box is clipped only by its containing block (the nearest positioned
  // ancestor) and what contains that: it escapes a scroller that is not positioned.
  const clips = (el) => ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(el).overflowX);
  const clippedFrom = (box, start) => {
    const position = getComputedStyle(box).position;
    if (position === "fixed") return false;
    let escaping = position === "absolute";
    for (let a = start; a && a !== document.body; a = a.parentElement) {
      if (escaping && getComputedStyle(a).position === "static") continue;
      escaping = false;
      if (clips(a)) return true;
    }
    return false;
  };
  const inScroller = (node) => {
    if (node.nodeType === 1) return clippedFrom(node, node.parentElement);
    const parent = node.parentElement;
    return clips(parent) || clippedFrom(parent, parent.parentElement);
  };
  const culprits = [];
  for (const el of document.body.querySelectorAll("*")) {
    const rect = el.getBoundingClientRect();
    if (rect.right <= width + 1 || rect.width === 0) continue;
    // Report the outermost element only: its children stick out because it does.
    if (culprits.some((outer) => outer.el.contains(el)) || inScroller(el)) continue;
    const classes = (el.getAttribute("class") || "").trim().replace(/\s+/g, ".");
    culprits.push({el, text: `${el.tagName.toLowerCase()}.${classes} right=${Math.round(rect.right)}px`});
  }
  // Text that overflows its box (a long unbroken word) leaves the box's own rectangle alone.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || culprits.some((outer) => outer.el.contains(node))) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const right = Math.round(range.getBoundingClientRect().right);
    if (right <= width + 1 || inScroller(node)) continue;
    culprits.push({el: node.parentElement, text: `text "${node.textContent.trim().slice(0, 50)}" in ` +
      `${node.parentElement.tagName.toLowerCase()} right=${right}px`});
  }
  const found = culprits.map((c) => c.text).slice(0, 8);
  return found.length ? found : [`the page is ${pageWidth}px wide`];
}
"""


def overflowing_elements(page) -> list[str]:
    """Elements wider than the viewport outside any scroll container (WCAG 1.4.10 Reflow).

    A page passes when nothing makes the whole page scroll sideways; a wide table inside its own
    scrolling wrapper is fine.
    """
    return page.evaluate(_OVERFLOW_SCRIPT)
