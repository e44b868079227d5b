// The dashboard's own script: progressive enhancement only. Every page works without it
// (plain file fields, a page that reloads itself while a file is checked); with it, a file
// can be dropped onto its field, and a file being checked has its progress bar updated in
// place instead of the whole page reloading.
"use strict";

(function () {
  function sizeInWords(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return Math.ceil(bytes / 1024) + " KB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  // A file field marked data-drop: its box takes a dropped file, which is put into the
  // field itself (so the form sends it as if chosen), and the file's name and size are said.
  function dropZone(input) {
    var field = input.closest(".field");
    if (!field) return;
    var hint = document.createElement("p");
    hint.className = "hint drop-hint";
    hint.id = input.id + "-drop-hint";
    hint.textContent = "Or drag the file from your computer and drop it here.";
    var chosen = document.createElement("p");
    chosen.className = "drop-chosen";
    chosen.id = input.id + "-chosen";
    chosen.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("beforebegin", hint);
    input.insertAdjacentElement("afterend", chosen);
    field.classList.add("drop-zone");
    var described = (input.getAttribute("aria-describedby") || "").split(" ");
    input.setAttribute("aria-describedby", described.concat([hint.id, chosen.id]).join(" ").trim());

    function say() {
      var file = input.files && input.files[0];
      chosen.textContent = file ? "Chosen: " + file.name + " (" + sizeInWords(file.size) + ")" : "";
    }
    function over(event) {
      event.preventDefault();
      field.classList.add("drop-over");
    }
    function away() {
      field.classList.remove("drop-over");
    }
    field.addEventListener("dragenter", over);
    field.addEventListener("dragover", over);
    field.addEventListener("dragleave", away);
    field.addEventListener("drop", function (event) {
      event.preventDefault();
      away();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || files.length === 0) return;
      if (files.length > 1) {
        chosen.textContent = "Drop one file at a time: " + files.length + " were dropped.";
        return;
      }
      input.files = files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    input.addEventListener("change", say);
    say();
  }

  // A file being checked: the page is read again every few seconds and its #checking part
  // put in place of this one's; once the file is checked, the whole page is loaded again.
  function followCheck(section) {
    var seconds = Number(section.getAttribute("data-refresh")) || 2;
    function poll() {
      fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
        .then(function (answer) {
          return answer.ok ? answer.text() : Promise.reject(answer.status);
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var next = fresh.getElementById("checking");
          if (!next) {
            window.location.reload();
            return;
          }
          section.innerHTML = next.innerHTML;
          window.setTimeout(poll, seconds * 1000);
        })
        .catch(function () {
          window.setTimeout(poll, seconds * 1000 * 2);
        });
    }
    window.setTimeout(poll, seconds * 1000);
  }

  // "Show the price" on a form with a #price-answer: the form is sent in the background
  // and the answer's price (or why there is none) put in place, so the file chosen stays
  // chosen; without the script the form comes back priced and the file is chosen again.
  function priceInPlace(form) {
    var target = form.querySelector("#price-answer");
    if (!target) return;
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || button.name !== "action" || button.value !== "price") return;
      event.preventDefault();
      var data = new FormData(form);
      data.append("action", "price");
      target.textContent = "Pricing the letter…";
      // getAttribute: form.action would be the button named "action".
      var url = form.getAttribute("action") || window.location.pathname;
      fetch(url, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (answer) {
          return answer.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var answer = fresh.getElementById("price-answer");
          target.innerHTML = answer ? answer.innerHTML : "";
          if (fresh.getElementById("letter-price")) {
            // Priced: what an earlier send refused is refused no more.
            document.querySelectorAll(".error-summary, .field-error").forEach(function (old) {
              old.remove();
            });
            form.querySelectorAll(".has-error").forEach(function (field) {
              field.classList.remove("has-error");
            });
          }
        })
        .catch(function () {
          target.textContent = "The price could not be asked for; try again.";
        });
    });
  }

  document.querySelectorAll("input[type=file][data-drop]").forEach(dropZone);
  document.querySelectorAll("form").forEach(priceInPlace);
  var checking = document.getElementById("checking");
  if (checking && checking.hasAttribute("data-refresh")) followCheck(checking);
})();
