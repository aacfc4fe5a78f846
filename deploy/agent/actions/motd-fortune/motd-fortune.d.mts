/** Types of the pure helpers motd-fortune.mjs exports (for its tests). */
/** Split fortune-mod text into entries (separated by lines holding only `%`). */
export declare function parseFortunes(text: string): string[];
/** Read every fortune file in `dir` (files without an extension). */
export declare function loadFortunes(dir: string): string[];
/** Wrap text to `width` columns, keeping its line breaks. */
export declare function wrapText(text: string, width: number): string[];
/** Frame `text` as a paper scroll `width` columns wide (like `boxes -d parchment`). */
export declare function frameScroll(text: string, width: number): string;
/** Replace `path` with `content` atomically (temp file in the same directory, mode 0644 whatever the umask, fsync, rename). */
export declare function writeAtomic(path: string, content: string): void;
/** Rewrite the existing file `path` in place (O_WRONLY|O_TRUNC, write, fsync); its owner and mode stay. */
export declare function writeInPlace(path: string, content: string): void;
/** Atomically when the directory allows it, else in place when the file is writable; says which. */
export declare function writeMotd(path: string, content: string): 'atomic' | 'in-place';
