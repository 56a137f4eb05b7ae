/* images: a resident's photo made safe to keep and show (libvips).
 *
 * Only JPEG, PNG, WebP and HEIC are read — recognised by their first bytes
 * here, and every other libvips loader blocked, so a crafted file never
 * reaches the PDF, SVG or ImageMagick readers. The pixel count is checked
 * from the header before anything is decoded (decompression bombs); a
 * truncated or corrupt file is refused rather than shown half grey. What is
 * kept is re-encoded as JPEG, turned upright by its EXIF orientation, no
 * larger than max_side, with every metadata block removed (EXIF, GPS, XMP,
 * ICC, comments), and a thumbnail at most thumb_side on its long side.
 *
 * Pure and thread-safe: called on the thread pool, never on the loop. */
#ifndef LINLI_IMAGES_H
#define LINLI_IMAGES_H

#include <stddef.h>
#include <stdint.h>

struct image_limits {
	int64_t max_pixels;  /* width x height of the original, at most */
	int max_side;        /* the kept image's long side, at most */
	int thumb_side;      /* the thumbnail's long side, at most */
	int quality;         /* JPEG quality, 1..100 */
};

struct image_out {
	void *full, *thumb;  /* JPEG bytes (images_out_free frees them) */
	size_t full_len, thumb_len;
	int width, height;           /* of full */
	int thumb_width, thumb_height;
	int src_width, src_height;   /* of the original, as uploaded */
	const char *src_type;        /* "image/jpeg", ... (static) */
};

/* Once, before any other call (the gateway's start): 0, or -1 when
 * libvips cannot start. */
int images_init(void);
/* At exit. */
void images_shutdown(void);

/* The accepted type buf starts like ("image/jpeg", "image/png",
 * "image/webp", "image/heic"), or NULL. */
const char *images_sniff(const void *buf, size_t len);

/* 0 and *out filled; -EINVAL (not an image of an accepted type, or
 * corrupt or truncated), -E2BIG (over max_pixels) or -ENOMEM, with *why
 * (static text) saying which. Takes buf (malloc'd) and frees it: libvips'
 * threads read it until they are done, and only this knows when. */
int images_process(void *buf, size_t len, const struct image_limits *lim,
		   struct image_out *out, const char **why);

void images_out_free(struct image_out *out);

#endif
