#include "images.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

/* The loaders we read; every other one is blocked at start. */
static const char *const loaders[] = {
	"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp", "VipsForeignLoadHeif",
};

static int ready;

/* libvips warns on stderr about every odd file it is given; a refused
 * upload is answered (and counted) already. */
static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
}

int images_init(void)
{
	if (VIPS_INIT("linli-gateway"))
		return -1;
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, quiet, NULL);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	for (size_t i = 0; i < sizeof loaders / sizeof loaders[0]; i++)
		vips_operation_block_set(loaders[i], FALSE);
	/* No operation cache (each photo is new, and the cache would hold
	 * decoded pixels) and one worker thread per image: the thread pool is
	 * the unit of concurrency, its size bounds the CPU and memory. */
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_concurrency_set(1);
	ready = 1;
	return 0;
}

void images_shutdown(void)
{
	if (ready)
		vips_shutdown();
	ready = 0;
}

const char *images_sniff(const void *buf, size_t len)
{
	const unsigned char *b = buf;
	if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
		return "image/jpeg";
	if (len >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (len >= 12 && !memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WEBP", 4))
		return "image/webp";
	/* ISO BMFF: a box size, "ftyp", then a HEIF brand. */
	if (len >= 12 && !memcmp(b + 4, "ftyp", 4) &&
	    (!memcmp(b + 8, "heic", 4) || !memcmp(b + 8, "heix", 4) || !memcmp(b + 8, "hevc", 4) ||
	     !memcmp(b + 8, "heim", 4) || !memcmp(b + 8, "heis", 4) || !memcmp(b + 8, "mif1", 4) ||
	     !memcmp(b + 8, "msf1", 4)))
		return "image/heic";
	return NULL;
}

/* img as JPEG with no metadata, alpha flattened onto white. */
static int save_jpeg(VipsImage *img, int quality, void **buf, size_t *len)
{
	VipsImage *flat = NULL;
	if (vips_image_hasalpha(img)) {
		double white[] = { 255, 255, 255 };
		VipsArrayDouble *bg = vips_array_double_new(white, 3);
		int rc = vips_flatten(img, &flat, "background", bg, NULL);
		vips_area_unref(VIPS_AREA(bg));
		if (rc)
			return -1;
		img = flat;
	}
	int rc = vips_jpegsave_buffer(img, buf, len, "Q", quality, "strip", TRUE,
				      "optimize_coding", TRUE, NULL);
	if (flat)
		g_object_unref(flat);
	return rc;
}

/* A copy of buf scaled down to fit side x side, upright (vips_thumbnail
 * reads the EXIF orientation and shrinks on load where the format can),
 * failing on any truncation or decoding error. */
static VipsImage *fit(const void *buf, size_t len, int side)
{
	VipsImage *out = NULL;
	if (vips_thumbnail_buffer((void *)buf, len, &out, side, "height", side, "size", VIPS_SIZE_DOWN,
				  "option_string", "fail_on=error", NULL))
		return NULL;
	return out;
}

static int process(const void *buf, size_t len, const struct image_limits *lim,
		   struct image_out *out, const char **why)
{
	memset(out, 0, sizeof *out);
	if (!ready) {
		*why = "photos are not available on this server (libvips did not start)";
		return -EINVAL;
	}
	out->src_type = images_sniff(buf, len);
	if (!out->src_type) {
		*why = "not a JPEG, PNG, WebP or HEIC image";
		return -EINVAL;
	}
	/* The header only: no pixel is decoded yet. */
	VipsImage *head = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!head) {
		vips_error_clear();
		*why = "the image cannot be read (corrupt or not what its first bytes say)";
		return -EINVAL;
	}
	out->src_width = vips_image_get_width(head);
	out->src_height = vips_image_get_height(head);
	g_object_unref(head);
	if (out->src_width <= 0 || out->src_height <= 0 ||
	    (int64_t)out->src_width * out->src_height > lim->max_pixels) {
		*why = "the image has too many pixels (upload_max_pixels)";
		return -E2BIG;
	}
	VipsImage *full = fit(buf, len, lim->max_side), *thumb = full ? fit(buf, len, lim->thumb_side) : NULL;
	int rc = 0;
	if (!full || !thumb) {
		*why = "the image is truncated or corrupt";
		rc = -EINVAL;
	} else if (save_jpeg(full, lim->quality, &out->full, &out->full_len) ||
		   save_jpeg(thumb, lim->quality, &out->thumb, &out->thumb_len)) {
		*why = "the image could not be re-encoded";
		rc = -EINVAL;
	} else {
		out->width = vips_image_get_width(full);
		out->height = vips_image_get_height(full);
		out->thumb_width = vips_image_get_width(thumb);
		out->thumb_height = vips_image_get_height(thumb);
	}
	if (full)
		g_object_unref(full);
	if (thumb)
		g_object_unref(thumb);
	if (rc) {
		vips_error_clear();
		images_out_free(out);
	}
	return rc;
}

int images_process(void *buf, size_t len, const struct image_limits *lim,
		   struct image_out *out, const char **why)
{
	int rc = process(buf, len, lim, out, why);
	free(buf);
	return rc;
}

void images_out_free(struct image_out *out)
{
	g_free(out->full);
	g_free(out->thumb);
	out->full = out->thumb = NULL;
	out->full_len = out->thumb_len = 0;
}
