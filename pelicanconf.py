"""Pelican settings for the portal; `disclosure build` reads this file and adds the fold.

Every setting Pelican would use to generate blog pages is switched off: the
portal's pages come from the project's generator (disclosure.site.plugin);
Pelican renders the editorial pages in content/pages/ and copies the theme.
"""

SITENAME = "福州市信用信息公示"
# Absolute base of the public site, used in feeds and the sitemap; pages link root-relative.
SITEURL = "http://127.0.0.1:8000"
PATH = "content"
THEME = "theme"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh-CN"
DEFAULT_DATE = "fs"  # editorial pages carry no date on the site
PLUGINS = ["disclosure.site.plugin"]
# Autoescape: every value comes from departments' spreadsheets and must render as text.
JINJA_ENVIRONMENT = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True, "extensions": []}

ARTICLE_PATHS: list[str] = []
PAGE_PATHS = ["pages"]
STATIC_PATHS: list[str] = []
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
DIRECT_TEMPLATES: list[str] = []
ARTICLE_SAVE_AS = AUTHOR_SAVE_AS = CATEGORY_SAVE_AS = TAG_SAVE_AS = ""
AUTHORS_SAVE_AS = CATEGORIES_SAVE_AS = TAGS_SAVE_AS = ARCHIVES_SAVE_AS = ""
DRAFT_SAVE_AS = DRAFT_PAGE_SAVE_AS = ""
TRANSLATION_FEED_ATOM = FEED_ALL_ATOM = CATEGORY_FEED_ATOM = AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None
RELATIVE_URLS = False
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
DELETE_OUTPUT_DIRECTORY = False  # the build renders into a fresh folder and swaps it in
OUTPUT_SOURCES = False
MARKDOWN = {"extension_configs": {"markdown.extensions.extra": {}}, "output_format": "html5"}
