/* images: upright, no metadata, thumbnails within bounds; bombs,
 * truncations, impostors and other formats refused. The inputs are made
 * here with libvips itself (and a PNG header written by hand). */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include <vips/vips.h>
#include <zlib.h>

#include "../../handlers/images.h"

static const struct image_limits LIM = { .max_pixels = 40000000, .max_side = 2048, .thumb_side = 360, .quality = 85 };

/* images_process on a copy of b[0..n) (it takes its buffer). */
static int proc(const void *b, size_t n, struct image_out *out, const char **why)
{
	void *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, b, n);
	return images_process(copy, n, &LIM, out, why);
}

/* A w x h JPEG (grey, a white square top-left) with EXIF orientation o
 * and a GPS position, as a phone writes it. */
static void *photo(int w, int h, int o, size_t *len)
{
	VipsImage *black, *img;
	assert_int_equal(vips_black(&black, w, h, "bands", 3, NULL), 0);
	assert_int_equal(vips_linear1(black, &img, 1.0, 128.0, NULL), 0);
	g_object_unref(black);
	VipsImage *copy;
	assert_int_equal(vips_copy(img, &copy, NULL), 0); /* metadata is set on a private copy */
	g_object_unref(img);
	vips_image_set_int(copy, "orientation", o);
	vips_image_set_string(copy, "exif-ifd3-GPSLatitude", "31/1 13/1 48/1");
	vips_image_set_string(copy, "exif-ifd3-GPSLatitudeRef", "N");
	vips_image_set_string(copy, "exif-ifd0-Make", "LinliPhone");
	void *buf;
	assert_int_equal(vips_jpegsave_buffer(copy, &buf, len, "Q", 90, NULL), 0);
	g_object_unref(copy);
	return buf;
}

/* Whether a JPEG has any APPn segment other than JFIF (APP0), or a COM. */
static int jpeg_has_metadata(const unsigned char *b, size_t n)
{
	size_t i = 2;
	while (i + 4 <= n && b[i] == 0xFF) {
		unsigned m = b[i + 1];
		if (m == 0xDA) /* start of scan: no more markers before the data */
			return 0;
		size_t seg = ((size_t)b[i + 2] << 8) | b[i + 3];
		if ((m >= 0xE1 && m <= 0xEF) || m == 0xFE)
			return 1;
		i += 2 + seg;
	}
	return 0;
}

static void test_upright_no_metadata(void **state)
{
	size_t len;
	void *in = photo(240, 180, 6, &len);
	assert_non_null(memmem(in, len, "Exif", 4));
	assert_non_null(memmem(in, len, "LinliPhone", 10));
	struct image_out out;
	const char *why = NULL;
	assert_int_equal(proc(in, len, &out, &why), 0);
	assert_string_equal(out.src_type, "image/jpeg");
	assert_int_equal(out.src_width, 240);
	/* Orientation 6: turned a quarter, so 180 wide and 240 high. */
	assert_int_equal(out.width, 180);
	assert_int_equal(out.height, 240);
	assert_false(jpeg_has_metadata(out.full, out.full_len));
	assert_false(jpeg_has_metadata(out.thumb, out.thumb_len));
	assert_null(memmem(out.full, out.full_len, "Exif", 4));
	assert_null(memmem(out.full, out.full_len, "LinliPhone", 10));
	assert_true(out.thumb_height <= 360 && out.thumb_width <= 360);
	assert_int_equal(out.thumb_height, 240); /* never enlarged */
	images_out_free(&out);
	g_free(in);
}

/* Scaled to max_side (small here: libvips under ThreadSanitizer takes
 * minutes over a phone-sized photo). */
static void test_large_is_scaled_down(void **state)
{
	size_t len;
	void *in = photo(400, 300, 1, &len);
	struct image_limits lim = LIM;
	lim.max_side = 200;
	lim.thumb_side = 60;
	void *copy = malloc(len);
	memcpy(copy, in, len);
	struct image_out out;
	const char *why;
	assert_int_equal(images_process(copy, len, &lim, &out, &why), 0);
	assert_int_equal(out.width, 200);
	assert_int_equal(out.height, 150);
	assert_int_equal(out.thumb_width, 60);
	images_out_free(&out);
	g_free(in);
}

static void test_png_with_alpha_and_webp(void **state)
{
	VipsImage *img;
	assert_int_equal(vips_black(&img, 64, 48, "bands", 4, NULL), 0);
	void *png, *webp;
	size_t plen, wlen;
	assert_int_equal(vips_pngsave_buffer(img, &png, &plen, NULL), 0);
	assert_int_equal(vips_webpsave_buffer(img, &webp, &wlen, NULL), 0);
	g_object_unref(img);
	struct image_out out;
	const char *why;
	assert_int_equal(proc(png, plen, &out, &why), 0);
	assert_string_equal(out.src_type, "image/png");
	assert_int_equal(out.width, 64);
	assert_memory_equal(out.full, "\xFF\xD8\xFF", 3); /* kept as JPEG */
	images_out_free(&out);
	assert_int_equal(proc(webp, wlen, &out, &why), 0);
	assert_string_equal(out.src_type, "image/webp");
	images_out_free(&out);
	g_free(png);
	g_free(webp);
}

static void test_truncated_and_impostors_refused(void **state)
{
	size_t len;
	unsigned char *in = photo(240, 180, 1, &len);
	struct image_out out;
	const char *why = NULL;
	assert_int_equal(proc(in, len / 2, &out, &why), -EINVAL);
	assert_non_null(why);
	assert_null(out.full);
	static const char text[] = "这不是图片, just text renamed .jpg";
	assert_int_equal(proc(text, sizeof text, &out, &why), -EINVAL);
	/* JPEG's first bytes, then nothing an image decoder can use. */
	static const char fake[] = "\xFF\xD8\xFF<svg xmlns='http://www.w3.org/2000/svg'/>";
	assert_int_equal(proc(fake, sizeof fake - 1, &out, &why), -EINVAL);
	/* Formats libvips knows but we do not take. */
	static const char svg[] = "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>";
	assert_int_equal(proc(svg, sizeof svg - 1, &out, &why), -EINVAL);
	static const char pdf[] = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF";
	assert_int_equal(proc(pdf, sizeof pdf - 1, &out, &why), -EINVAL);
	assert_null(images_sniff("GIF89a", 6));
	g_free(in);
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

/* A PNG chunk of type and data at p; returns its end. */
static unsigned char *chunk(unsigned char *p, const char *type, const unsigned char *data, uint32_t n)
{
	put32(p, n);
	memcpy(p + 4, type, 4);
	if (n)
		memcpy(p + 8, data, n);
	put32(p + 8 + n, (uint32_t)crc32(crc32(0, (const unsigned char *)type, 4), data, n));
	return p + 12 + n;
}

/* A PNG that claims 100,000 x 100,000 pixels, with a few bytes of image
 * data: refused from its header, before a row is decoded. */
static void test_decompression_bomb_refused_from_the_header(void **state)
{
	unsigned char png[256], ihdr[13] = { 0 }, idat[64];
	memcpy(png, "\x89PNG\r\n\x1a\n", 8);
	put32(ihdr, 100000);
	put32(ihdr + 4, 100000);
	ihdr[8] = 8; /* 8-bit */
	ihdr[9] = 2; /* RGB */
	static const unsigned char zeros[32];
	uLongf zlen = sizeof idat;
	assert_int_equal(compress(idat, &zlen, zeros, sizeof zeros), Z_OK);
	unsigned char *p = chunk(png + 8, "IHDR", ihdr, sizeof ihdr);
	p = chunk(p, "IDAT", idat, (uint32_t)zlen);
	p = chunk(p, "IEND", NULL, 0);
	struct image_out out;
	const char *why = NULL;
	assert_int_equal(proc(png, (size_t)(p - png), &out, &why), -E2BIG);
	assert_non_null(strstr(why, "pixels"));
	assert_null(out.full);
}

int main(void)
{
	if (images_init())
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upright_no_metadata),
		cmocka_unit_test(test_large_is_scaled_down),
		cmocka_unit_test(test_png_with_alpha_and_webp),
		cmocka_unit_test(test_truncated_and_impostors_refused),
		cmocka_unit_test(test_decompression_bomb_refused_from_the_header),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	images_shutdown();
	return rc;
}
