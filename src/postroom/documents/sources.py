"""Source PDFs for composition: a lot parses only the pages it takes from each source.

qpdf's copy_foreign asks for the source's page list on its first copy (every object it meets
is checked against the page tree), and making an object indirect in the source resolves all
of its objects; so copying 3,000 pages out of a 30,000-page campaign file used to parse all
30,000 page objects in every lot: ~0.3 s and ~100 MB a lot for that file, growing with the
file, not with the lot. Here a lot opens the file without reading its page tree (qpdf reads
the xref table only), gives it a page tree of one page in memory, so the walk copy_foreign
asks for is short, and fetches its pages by object number through a `PageIndex`, kept per
file for the process. Nothing is ever written back to a source.

- A flat tree (the root's kids all references, none twice: what most producers write) is
  indexed from the text of its /Kids array, resolving nothing. Kid n is then qpdf's page n
  as long as kids 1..n are pages (dictionaries without /Kids), so each lot checks the kids
  up to the last page it takes, the first time any lot of the process needs them.
- Any other tree is walked once, and its index used only when qpdf's own page list agrees
  with the tree as written; the lot that walks it takes its pages from that same read.
- A tree qpdf would repair (direct or repeated kids, loops, a misplaced root) is read whole,
  as before, in every lot."""

from __future__ import annotations

import os
import re
import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

# Page attributes a page may inherit from its ancestors in the page tree (ISO 32000-1, 7.7.3.4).
INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
INDEX_CACHE_SIZE = 32  # files; an index costs ~16 bytes a page
MAX_TREE_DEPTH = 64  # deeper is no tree a producer writes; read such a file whole
_REFERENCES = re.compile(rb"\[\s*(?:\d+ \d+ R\s*)*\]")
_REFERENCE = re.compile(rb"(\d+) (\d+) R")

ObjGen = tuple[int, int]


@dataclass(eq=False)
class PageIndex:
    """A source's pages in order: each one's object number and generation, and the chain of
    page tree nodes above it (root first) as a number into `chains`; `chain_of` None: every
    page hangs from the root. Only the first `known` entries are known to be pages (all of
    a walked tree's; those checked so far of a flat tree's kids)."""

    numbers: array[int]
    generations: array[int]
    chains: tuple[tuple[ObjGen, ...], ...]
    chain_of: array[int] | None
    known: int

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def complete(self) -> bool:
        """Whether every entry is known to be a page (the file has exactly len() pages)."""
        return self.known == len(self.numbers)


class SourcePdf:
    """One source opened for one lot: read whole, its inherited attributes pushed down
    (`index` None), or through its page index, parsing only the pages asked for."""

    def __init__(
        self, path: Path, pdf: pikepdf.Pdf, index: PageIndex | None, *, tree_read: bool = True
    ) -> None:
        self.path = path
        self.pdf = pdf
        self._index = index
        # False until qpdf has walked the file's page tree (copy_foreign asks it to): till
        # then the tree can be swapped for a short one.
        self._tree_read = tree_read
        self._fetched: dict[int, Dictionary] = {}
        self._inherited: dict[int, dict[str, pikepdf.Object]] = {}
        self._whole: list[Dictionary] = []
        if index is None:
            self._whole = [page.obj for page in pdf.pages]

    @classmethod
    def whole(cls, path: Path) -> SourcePdf:
        """The file read whole."""
        return cls(path, pikepdf.open(path), None)

    def __len__(self) -> int:
        """The pages this source can give: all, or the first ones its index knows."""
        return len(self._whole) if self._index is None else self._index.known

    def pages(self, first: int, last: int) -> list[Dictionary]:
        """Pages `first`..`last` (1-based, inclusive); ValueError when the source is shorter."""
        if first < 1 or last > len(self) or first > last:
            raise ValueError(
                f"pages {first}-{last} asked of {self.path.name}, which has {len(self)}"
            )
        if self._index is None:
            return self._whole[first - 1 : last]
        pages = []
        for n in range(first - 1, last):
            page = self._fetched.get(n)
            pages.append(self._fetch(n) if page is None else page)
        return pages

    def close(self) -> None:
        """Close the file; its pages must not be used afterwards."""
        self._fetched.clear()
        self._inherited.clear()
        self._whole.clear()
        self.pdf.close()

    def _fetch(self, n: int) -> Dictionary:
        """Page n (0-based) by its object number, with what it inherits, and no way back to
        the file's page tree (copies never reach the tree's other pages through it)."""
        index = self._index
        assert index is not None
        page = self.pdf.get_object((index.numbers[n], index.generations[n]))
        if not isinstance(page, Dictionary):
            raise ValueError(f"{self.path.name} changed since its pages were indexed")
        if not self._tree_read:
            # Before any copy: its walk of the page tree now meets one page. An empty tree
            # would do too, but qpdf walks an empty one again on every check.
            self.pdf.Root.Pages = Dictionary(Type=Name.Pages, Kids=Array([page]), Count=1)
            self._tree_read = True
        chain = 0 if index.chain_of is None else index.chain_of[n]
        for key, value in self._inherits(chain).items():
            if key not in page:
                page[key] = value
        if page.get("/Type") != Name.Page:
            page.Type = Name.Page  # as qpdf's page walk repairs it
        if "/Parent" in page:
            del page["/Parent"]
        self._fetched[n] = page
        return page

    def _inherits(self, chain: int) -> dict[str, pikepdf.Object]:
        """What a page under this chain of nodes inherits: each key from its nearest node."""
        found = self._inherited.get(chain)
        if found is None:
            assert self._index is not None
            nodes = [self.pdf.get_object(og) for og in reversed(self._index.chains[chain])]
            found = {}
            for key in INHERITABLE:
                for node in nodes:
                    if key in node:
                        found[key] = node[key]
                        break
            self._inherited[chain] = found
        return found


FileKey = tuple[str, int, int, int, int]


class _IndexCache:
    """Page indexes of recently used files, least recently used dropped first. A file is
    known by its path and stat identity: blobs never change, but a file replaced at the same
    path gets a new index. None: the file is read whole."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._indexes: OrderedDict[FileKey, PageIndex | None] = OrderedDict()

    def key(self, path: Path) -> FileKey:
        """The file's identity."""
        stat = os.stat(path)
        return (str(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def get(self, key: FileKey) -> tuple[bool, PageIndex | None]:
        """Whether the file is known, and its index."""
        with self._lock:
            if key not in self._indexes:
                return False, None
            self._indexes.move_to_end(key)
            return True, self._indexes[key]

    def put(self, key: FileKey, index: PageIndex | None) -> None:
        """Remember the file's index (two threads may both read a new file: harmless)."""
        with self._lock:
            self._indexes[key] = index
            while len(self._indexes) > self.size:
                self._indexes.popitem(last=False)

    def clear(self) -> None:
        """Forget every index."""
        with self._lock:
            self._indexes.clear()


INDEXES = _IndexCache(INDEX_CACHE_SIZE)


def open_source(path: Path, *, upto: int | None = None, indexed: bool = True) -> SourcePdf:
    """Open `path` for one lot, able to give pages 1..`upto` (None: all), through its page
    index unless `indexed` is False (a file used once, such as a lot's own address pages,
    is read whole). A range past the file's end is refused by `pages`."""
    if not indexed:
        return SourcePdf.whole(path)
    key = INDEXES.key(path)
    known, index = INDEXES.get(key)
    if known and index is None:
        return SourcePdf.whole(path)
    pdf = pikepdf.open(path, inherit_page_attributes=False)
    try:
        if not known:
            index = _flat_index(pdf)
        if index is not None:
            need = len(index) if upto is None else upto
            if need <= index.known or index.complete:  # complete: pages() refuses the rest
                return SourcePdf(path, pdf, index, tree_read=False)
            if _check_kids(pdf, index, need):
                if not known:
                    INDEXES.put(key, index)
                return SourcePdf(path, pdf, index, tree_read=False)
    except BaseException:
        pdf.close()
        raise
    # Not flat after all (or asked past the kids it has): walk the tree, once.
    pdf.close()
    walked, index = _read_walked(path)
    INDEXES.put(key, index)
    if walked is None or index is None:
        return SourcePdf.whole(path)
    return SourcePdf(path, walked, index)


def read_page_index(path: Path) -> PageIndex | None:
    """The file's complete page index; None when it is read whole (qpdf would repair it)."""
    with pikepdf.open(path, inherit_page_attributes=False) as pdf:
        index = _flat_index(pdf)
        if index is not None and _check_kids(pdf, index, len(index)):
            return index
    walked, index = _read_walked(path)
    if walked is not None:
        walked.close()
    return index


def _flat_index(pdf: pikepdf.Pdf) -> PageIndex | None:
    """The root's kids as a flat index, none of them checked yet; None unless they are all
    references, none twice."""
    root = _root(pdf)
    kids = None if root is None else _flat_kids(root)
    if root is None or kids is None or len(set(kids)) != len(kids):
        return None
    return PageIndex(
        numbers=array("l", (og[0] for og in kids)),
        generations=array("l", (og[1] for og in kids)),
        chains=((root.objgen,),),
        chain_of=None,
        known=0,
    )


def _check_kids(pdf: pikepdf.Pdf, index: PageIndex, need: int) -> bool:
    """Check that a flat index's kids up to `need` are pages; False when one is not, or
    when there are fewer kids."""
    if need > len(index):
        return False
    numbers, generations = index.numbers, index.generations
    for n in range(index.known, need):
        kid = pdf.get_object((numbers[n], generations[n]))
        if not isinstance(kid, Dictionary) or "/Kids" in kid:
            return False
        if "/Type" in kid and kid.Type != Name.Page:
            return False
    # Lots racing here may set a lower figure: later lots then only check some kids again.
    index.known = max(index.known, need)
    return True


def _root(pdf: pikepdf.Pdf) -> Dictionary | None:
    """The page tree's root, unless qpdf would look elsewhere for it."""
    root = pdf.Root.get("/Pages")
    if not isinstance(root, Dictionary) or not root.is_indirect or "/Parent" in root:
        return None
    return root


def _read_walked(path: Path) -> tuple[pikepdf.Pdf | None, PageIndex | None]:
    """The file opened without pushing attributes down, its tree walked by us and by qpdf,
    with its index; (None, None) when the walks disagree (qpdf would repair the tree)."""
    pdf = pikepdf.open(path, inherit_page_attributes=False)
    try:
        root = _root(pdf)
        # Walked as written, before qpdf's page walk repairs anything in memory.
        walked = None if root is None else _walk(root)
        if walked is not None and walked[0] == [page.obj.objgen for page in pdf.pages]:
            pages, chain_of, chains = walked
            return pdf, PageIndex(
                numbers=array("l", (og[0] for og in pages)),
                generations=array("l", (og[1] for og in pages)),
                chains=chains,
                chain_of=array("l", chain_of),
                known=len(pages),
            )
    except BaseException:
        pdf.close()
        raise
    pdf.close()
    return None, None


def _flat_kids(root: Dictionary) -> list[ObjGen] | None:
    """The root's kids when they are all references (a flat tree, if every one is a page);
    read from the array's text, which resolves none of them."""
    kids = root.get("/Kids")
    if not isinstance(kids, Array):
        return None
    text = kids.unparse(resolved=True)  # the array, even if indirect; its items stay "n g R"
    if not _REFERENCES.fullmatch(text):
        return None
    return [(int(number), int(gen)) for number, gen in _REFERENCE.findall(text)]


def _walk(
    root: Dictionary,
) -> tuple[list[ObjGen], list[int], tuple[tuple[ObjGen, ...], ...]] | None:
    """Every page under `root` in order with its chain of nodes; None for a tree that is not
    plain (a direct, repeated or non-dictionary kid, or one too deep)."""
    pages: list[ObjGen] = []
    chain_of: list[int] = []
    chains: dict[tuple[ObjGen, ...], int] = {}
    seen: set[ObjGen] = {root.objgen}

    def visit(node: Dictionary, above: tuple[ObjGen, ...]) -> bool:
        kids = node.get("/Kids")
        chain = (*above, node.objgen)
        if not isinstance(kids, Array) or len(chain) > MAX_TREE_DEPTH:
            return False
        number = chains.setdefault(chain, len(chains))
        for kid in kids:
            if not isinstance(kid, Dictionary) or not kid.is_indirect or kid.objgen in seen:
                return False
            seen.add(kid.objgen)
            if "/Kids" in kid:
                if not visit(kid, chain):
                    return False
            else:
                pages.append(kid.objgen)
                chain_of.append(number)
        return True

    if not visit(root, ()):
        return None
    return pages, chain_of, tuple(chains)
