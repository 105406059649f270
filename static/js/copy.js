// Copy buttons: a button with data-copy="<id>" copies that element's text to the clipboard and says
// so in the .copy-status next to it (inside the page's live region). The words are the template's
// (data-copied, data-failed). Shown only once this script runs: without it the text is still
// there to select.
function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  const source = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  if (!source || !status) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    status.textContent = "";
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      status.textContent = status.dataset.copied;
    } catch {
      // No clipboard (an insecure origin, a refused permission): the text is selected for the user.
      selectText(source);
      status.textContent = status.dataset.failed;
    }
  });
}
