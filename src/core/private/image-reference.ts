/** Container image references: `registry[:port]/path[:tag][@sha256:digest]`. */
const IMAGE_REFERENCE = /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::([\w][\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** The tag and digest of an image reference, or undefined when it is none. */
export function parseImageReference(reference: string): { tag?: string; digest?: string } | undefined {
  const match = typeof reference === 'string' ? IMAGE_REFERENCE.exec(reference) : null;
  return match ? { tag: match[1], digest: match[2] } : undefined;
}

/** Whether a parsed reference names one build: a digest, or a tag other than `latest` and `<major>-latest`. */
export function isPinned(parsed: { tag?: string; digest?: string }): boolean {
  return parsed.digest !== undefined || (parsed.tag !== undefined && parsed.tag !== 'latest' && !parsed.tag.endsWith('-latest'));
}

/** What a pinned image reference looks like, for errors. */
export const PINNED_IMAGE = 'pinned, by a tag naming an exact build (not "latest" or "<major>-latest") or by a digest (@sha256:...)';
