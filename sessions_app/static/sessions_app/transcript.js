// The transcript viewer's "Unfold all" / "Fold all": every folded part of the page at once.
"use strict";
document.addEventListener("click", function (event) {
  const button = event.target.closest(".transcript-unfold, .transcript-fold");
  if (!button) return;
  const open = button.classList.contains("transcript-unfold");
  const viewer = button.closest(".transcript");
  viewer.querySelectorAll("details").forEach(function (d) { d.open = open; });
});
