// The toolbar popup: skillmark on or off for the current site, highlighting
// any page on demand (activeTab), and the "my skills / my résumé" profile,
// stored only in chrome.storage.local.
const $ = (id) => document.getElementById(id);
const MAX_FILE = 20 * 1024 * 1024;

async function currentTab() {
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab;
}

function hostOf(tab) {
  try {
    return new URL(tab.url).hostname;
  } catch {
    return "";
  }
}

function ask(msg) {
  return chrome.runtime.sendMessage(msg).then((a) => {
    if (!a || !a.ok) throw new Error((a && a.error) || "no answer");
    return a.result;
  });
}

function toBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function init() {
  const tab = await currentTab();
  const host = tab ? hostOf(tab) : "";
  $("site").textContent = host ? `On ${host}` : "This page";
  const { disabledSites = [], profile } = await chrome.storage.local.get(["disabledSites", "profile"]);
  $("enabled").checked = !disabledSites.includes(host);
  $("profile").value = (profile && profile.text) || "";

  $("enabled").addEventListener("change", async () => {
    const { disabledSites: now = [] } = await chrome.storage.local.get("disabledSites");
    const sites = new Set(now);
    if ($("enabled").checked) sites.delete(host);
    else sites.add(host);
    await chrome.storage.local.set({ disabledSites: [...sites] });
  });

  $("highlight").addEventListener("click", async () => {
    $("page-status").textContent = "Reading the page…";
    try {
      await ask({ target: "inject", tabId: tab.id });
      $("page-status").textContent = "Done: see the panel on the page.";
    } catch (err) {
      $("page-status").textContent = `Cannot highlight this page: ${err.message}`;
    }
  });

  $("save").addEventListener("click", async () => {
    const text = $("profile").value.trim();
    await chrome.storage.local.set({ profile: { text, saved: Date.now() } });
    $("profile-status").textContent = text ? "Saved on this device." : "Empty: nothing to compare with.";
  });

  $("clear").addEventListener("click", async () => {
    await chrome.storage.local.remove("profile");
    $("profile").value = "";
    $("profile-status").textContent = "Forgotten.";
  });

  $("file").addEventListener("change", async () => {
    const file = $("file").files[0];
    if (!file) return;
    if (file.size > MAX_FILE) {
      $("profile-status").textContent = "That file is over 20 MB.";
      return;
    }
    $("profile-status").textContent = `Reading ${file.name}…`;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const r = await ask({ target: "engine", request: { type: "extract", bytes: toBase64(bytes), name: file.name } });
      $("profile").value = r.text;
      $("profile-status").textContent = `Read ${r.format.toUpperCase()}: check the text, then Save.`;
    } catch (err) {
      $("profile-status").textContent = err.message;
      $("profile-status").className = "err";
    }
  });
}

init();
