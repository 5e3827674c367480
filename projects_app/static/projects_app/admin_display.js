// "copy" next to a shortened id copies the whole id.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy-id");
  if (!button) return;
  event.preventDefault();
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    button.textContent = "copied";
  } catch (error) {
    window.prompt("Copy the id:", button.dataset.copy);
  }
});
