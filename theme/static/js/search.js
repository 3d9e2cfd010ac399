// Search page: Pagefind (extended, Chinese) with the query and filters in the URL, so links can be shared.
const FILTER_PARAMS = { kind: "类别", district: "区县", department: "部门", year: "年度" };
const PAGE = 10;

const form = document.getElementById("search-form");
const input = document.getElementById("q");
const filterBox = document.getElementById("filters");
const statusLine = document.getElementById("search-status");
const list = document.getElementById("results");
const more = document.getElementById("more");
const none = document.getElementById("no-results");

let pagefind;
let current = { results: [], shown: 0, token: 0 };

function paramsFromUrl() {
  const url = new URL(window.location.href);
  const filters = {};
  for (const [param, name] of Object.entries(FILTER_PARAMS)) {
    const values = url.searchParams.getAll(param).filter(Boolean);
    if (values.length) filters[name] = values;
  }
  return { q: (url.searchParams.get("q") || "").trim(), filters };
}

function writeUrl(q, filters) {
  const url = new URL(window.location.href);
  url.search = "";
  if (q) url.searchParams.set("q", q);
  for (const [param, name] of Object.entries(FILTER_PARAMS)) {
    for (const value of filters[name] || []) url.searchParams.append(param, value);
  }
  history.replaceState(null, "", url);
}

function selectedFilters() {
  const filters = {};
  for (const box of filterBox.querySelectorAll("input[type=checkbox]:checked")) {
    (filters[box.dataset.filter] ||= []).push(box.value);
  }
  return filters;
}

function renderFilters(available, selected) {
  filterBox.querySelectorAll(".group, .hint").forEach((el) => el.remove());
  for (const name of Object.values(FILTER_PARAMS)) {
    const values = Object.keys(available[name] || {}).sort((a, b) => (name === "年度" ? b.localeCompare(a) : a.localeCompare(b, "zh-CN")));
    if (!values.length) continue;
    const group = document.createElement("div");
    group.className = "group";
    group.setAttribute("role", "group");
    const title = document.createElement("span");
    title.className = "group-name";
    title.id = `filter-${name}`;
    title.textContent = name;
    group.setAttribute("aria-labelledby", title.id);
    group.append(title);
    for (const value of values) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = value;
      box.dataset.filter = name;
      box.checked = (selected[name] || []).includes(value);
      box.addEventListener("change", () => run());
      label.append(box, ` ${value}`);
      group.append(label);
    }
    filterBox.append(group);
  }
}

function resultItem(data) {
  const li = document.createElement("li");
  const link = document.createElement("a");
  link.href = data.url;
  const title = document.createElement("bdi"); // isolate: a name cannot reorder the page around it
  title.textContent = data.meta.title || data.url;
  link.append(title);
  const heading = document.createElement("h2");
  heading.className = "result-title";
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "meta";
  meta.textContent = [data.meta.kind, data.meta.date].filter(Boolean).join(" · ");
  if (data.meta.entity) {
    const entity = document.createElement("a");
    entity.href = data.meta.entity;
    entity.textContent = "该主体的全部信息";
    meta.append(" · ", entity);
  }
  const excerpt = document.createElement("bdi");
  excerpt.className = "excerpt";
  excerpt.innerHTML = data.excerpt; // Pagefind escapes the indexed text and adds <mark> only
  li.append(heading, meta, excerpt);
  return li;
}

async function showMore() {
  const token = current.token;
  const batch = current.results.slice(current.shown, current.shown + PAGE);
  const items = await Promise.all(batch.map((r) => r.data()));
  if (token !== current.token) return;
  for (const data of items) list.append(resultItem(data));
  current.shown += batch.length;
  more.hidden = current.shown >= current.results.length;
}

async function run() {
  const q = input.value.trim();
  const filters = selectedFilters();
  writeUrl(q, filters);
  const token = ++current.token;
  list.replaceChildren();
  none.hidden = true;
  more.hidden = true;
  if (!q && !Object.keys(filters).length) {
    statusLine.textContent = "";
    return;
  }
  statusLine.textContent = "正在搜索……";
  const search = await pagefind.search(q || null, { filters, sort: { date: "desc" } });
  if (token !== current.token) return;
  current = { results: search.results, shown: 0, token };
  if (!search.results.length) {
    statusLine.textContent = q ? `没有找到与“${q}”匹配的信息。` : "没有符合筛选条件的信息。";
    none.hidden = false;
    return;
  }
  await showMore();
  if (token !== current.token) return;
  // The status is set last: when it says 找到, the first results are on the page.
  statusLine.textContent = `找到 ${search.results.length} 条结果，按日期从新到旧排列。`;
}

function moveFocus(step) {
  const links = [...list.querySelectorAll(".result-title a")];
  if (!links.length) return;
  const at = links.indexOf(document.activeElement);
  const next = at === -1 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
  links.forEach((a, i) => a.closest("li").classList.toggle("active", i === next));
  links[next].focus();
}

async function main() {
  const { q, filters } = paramsFromUrl();
  input.value = q;
  pagefind = await import("/pagefind/pagefind.js");
  await pagefind.options({ excerptLength: 40 });
  pagefind.init();
  renderFilters(await pagefind.filters(), filters);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  more.addEventListener("click", () => showMore());
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && document.activeElement !== input) {
      event.preventDefault();
      input.focus();
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && list.children.length) {
      event.preventDefault();
      moveFocus(event.key === "ArrowDown" ? 1 : -1);
    }
  });
  document.body.dataset.searchReady = "true";
  if (q || Object.keys(filters).length) await run();
}

main();
