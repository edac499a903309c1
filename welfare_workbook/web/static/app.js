/* welfare_workbook のページ: ファイルのドラッグ＆ドロップ、送信の進み具合、提出状況の更新。
   これがなくてもページは使える（フォームは普通に送信される）。外部のスクリプトは使わない。 */
(function () {
  "use strict";

  function fragment(url) {
    return fetch(url, { headers: { "X-Fragment": "1" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; });
  }

  // 提出状況の表を、ページを読み込み直さずに新しくする
  function refreshRoster() {
    var roster = document.getElementById("roster");
    if (!roster) { return Promise.resolve(); }
    return fragment(location.pathname + location.search).then(function (html) {
      if (html === null) { return; }
      var box = document.createElement("div");
      box.innerHTML = html;
      var fresh = box.querySelector("#roster");
      if (fresh) { roster.replaceWith(fresh); }
    });
  }

  function setupUpload(form) {
    var input = form.querySelector("input[type=file]");
    var drop = form.querySelector("[data-drop]");
    var progress = form.querySelector("[data-progress]");
    var bar = progress.querySelector("progress");
    var text = progress.querySelector("[data-progress-text]");
    var out = document.getElementById("verdicts");
    var busy = false;

    function send() {
      if (busy || !input.files.length) { return; }
      busy = true;
      var data = new FormData(form);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Fragment", "1");
      progress.hidden = false;
      bar.value = 0;
      text.textContent = input.files.length + " 件を送信しています…";
      form.setAttribute("aria-busy", "true");
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
        if (e.loaded === e.total) { text.textContent = "受け付けて、回収・検査しています…"; }
      };
      xhr.onload = function () {
        busy = false;
        form.removeAttribute("aria-busy");
        bar.value = 100;
        text.textContent = xhr.status < 500 ? "終わりました。" : "うまくいきませんでした（" + xhr.status + "）。";
        if (out) { out.innerHTML = xhr.responseText; }
        form.reset();
        refreshRoster();
      };
      xhr.onerror = function () {
        busy = false;
        form.removeAttribute("aria-busy");
        text.textContent = "送信できませんでした。ページが止まっていないか確かめてください。";
      };
      xhr.send(data);
    }

    form.addEventListener("submit", function (e) { e.preventDefault(); send(); });
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () { drop.classList.remove("over"); });
    });
    form.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        send();
      }
    });
    input.addEventListener("change", function () {
      text.textContent = input.files.length ? input.files.length + " 件を選びました。「受け付ける」で送ります。" : "";
      progress.hidden = !input.files.length;
      bar.value = 0;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), setupUpload);
    // ほかの人やコマンドが受け付けたものも、このタブに戻ったときに映す
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { refreshRoster(); }
    });
  });
}());
