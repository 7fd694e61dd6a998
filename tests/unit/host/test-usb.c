/* test-usb.c - the USB listing and the usb transport's notes on a fake bus. There is no USB
 * hardware (nor /dev/bus/usb) here, so this is a mock: the libusb functions
 * are replaced (struct xf_usb_ops) by ones that describe a bus with a phone
 * in ADB mode, a composite MTP + ADB phone, one in fastboot, one that may not
 * be opened, a keyboard and a vendor device of another subclass. The real
 * libusb is called once too, and must not fail harder than "no devices". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "devices.h"
#include "usb.h"

struct fake_dev {
	uint16_t vid, pid;
	uint8_t bus, addr;
	int open_rc;
	const char *serial, *product;
	int nitf;
	uint8_t cls[3], sub[3], proto[3];
};

static struct fake_dev bus[] = {
	{0x18d1, 0x4ee7, 1, 4, 0, "R58M123ABC", "Pixel 8", 1, {0xff}, {0x42}, {0x01}},
	/* composite: MTP (still image) first, ADB second */
	{0x04e8, 0x6860, 1, 5, 0, "ce0517", "SAMSUNG_Android", 2, {0x06, 0xff}, {0x01, 0x42},
	 {0x01, 0x01}},
	{0x18d1, 0x4ee0, 2, 1, 0, "FB123", "Android", 1, {0xff}, {0x42}, {0x03}},
	{0x2717, 0xff48, 2, 2, LIBUSB_ERROR_ACCESS, "hidden", "Mi", 1, {0xff}, {0x42}, {0x01}},
	{0x046d, 0xc31c, 3, 1, 0, NULL, "Keyboard", 1, {0x03}, {0x01}, {0x01}},
	{0x0403, 0x6001, 3, 2, 0, "FT1", "FT232R", 1, {0xff}, {0xff}, {0xff}},
};
#define NBUS (sizeof(bus) / sizeof(bus[0]))

static struct libusb_interface_descriptor alts[NBUS][3];
static struct libusb_interface itfs[NBUS][3];
static struct libusb_config_descriptor cfgs[NBUS];
static int opened, freed_lists, exited;

static struct fake_dev *dev_of(libusb_device *d)
{
	return (struct fake_dev *)(void *)d;
}

static int f_init(libusb_context **ctx)
{
	*ctx = (libusb_context *)(void *)bus;
	return 0;
}
static void f_exit(libusb_context *ctx)
{
	(void)ctx;
	exited++;
}
static ssize_t f_list(libusb_context *ctx, libusb_device ***list)
{
	(void)ctx;
	static libusb_device *l[NBUS + 1];
	for (size_t i = 0; i < NBUS; i++)
		l[i] = (libusb_device *)(void *)&bus[i];
	l[NBUS] = NULL;
	*list = l;
	return (ssize_t)NBUS;
}
static void f_free_list(libusb_device **list, int unref)
{
	(void)list;
	assert_int_equal(unref, 1);
	freed_lists++;
}
static int f_desc(libusb_device *d, struct libusb_device_descriptor *desc)
{
	struct fake_dev *f = dev_of(d);
	memset(desc, 0, sizeof(*desc));
	desc->idVendor = f->vid;
	desc->idProduct = f->pid;
	desc->iSerialNumber = f->serial ? 3 : 0;
	desc->iProduct = 2;
	return 0;
}
static int f_config(libusb_device *d, struct libusb_config_descriptor **config)
{
	size_t i = (size_t)(dev_of(d) - bus);
	struct fake_dev *f = &bus[i];
	for (int k = 0; k < f->nitf; k++) {
		alts[i][k] = (struct libusb_interface_descriptor){
			.bInterfaceNumber = (uint8_t)k, .bInterfaceClass = f->cls[k],
			.bInterfaceSubClass = f->sub[k], .bInterfaceProtocol = f->proto[k]};
		itfs[i][k] = (struct libusb_interface){.altsetting = &alts[i][k], .num_altsetting = 1};
	}
	cfgs[i] = (struct libusb_config_descriptor){.bNumInterfaces = (uint8_t)f->nitf,
						    .interface = itfs[i]};
	*config = &cfgs[i];
	return 0;
}
static void f_free_config(struct libusb_config_descriptor *c)
{
	(void)c;
}
static uint8_t f_bus(libusb_device *d)
{
	return dev_of(d)->bus;
}
static uint8_t f_addr(libusb_device *d)
{
	return dev_of(d)->addr;
}
static int f_open(libusb_device *d, libusb_device_handle **h)
{
	if (dev_of(d)->open_rc)
		return dev_of(d)->open_rc;
	opened++;
	*h = (libusb_device_handle *)(void *)d;
	return 0;
}
static void f_close(libusb_device_handle *h)
{
	(void)h;
	opened--;
}
static int f_string(libusb_device_handle *h, uint8_t index, unsigned char *data, int length)
{
	struct fake_dev *f = (struct fake_dev *)(void *)h;
	const char *s = index == 3 ? f->serial : f->product;
	if (s == NULL)
		return LIBUSB_ERROR_IO;
	int n = (int)strlen(s) < length ? (int)strlen(s) : length;
	memcpy(data, s, (size_t)n);
	return n;
}
static const char *f_strerror(int code)
{
	return code == LIBUSB_ERROR_ACCESS ? "Access denied (insufficient permissions)" : "error";
}

static const struct xf_usb_ops fake = {f_init, f_exit, f_list, f_free_list, f_desc, f_config,
				       f_free_config, f_bus, f_addr, f_open, f_close, f_string,
				       f_strerror};

static void test_fake_bus(void **state)
{
	(void)state;
	struct xf_usb_dev d[8];
	char why[128];
	long n = xf_usb_list(&fake, d, 8, why, sizeof(why));
	assert_int_equal(n, 4);  /* not the keyboard, not the FTDI of subclass ff */
	assert_int_equal(opened, 0);
	assert_int_equal(freed_lists, 1);
	assert_int_equal(exited, 1);
	assert_string_equal(d[0].serial, "R58M123ABC");
	assert_string_equal(d[0].product, "Pixel 8");
	assert_int_equal(d[0].vid, 0x18d1);
	assert_int_equal(d[0].interface, 0);
	assert_false(d[0].fastboot);
	assert_string_equal(d[1].serial, "ce0517");
	assert_int_equal(d[1].interface, 1);
	assert_true(d[2].fastboot);
	assert_string_equal(d[3].serial, "");
	assert_non_null(strstr(d[3].why, "Access denied"));
	assert_int_equal(d[3].bus, 2);
	assert_int_equal(d[3].address, 2);
	/* which of them no adb server shows, and what to do */
	const char *const adb[] = {"127.0.0.1:5555", "ce0517"};
	assert_false(xf_usb_in_adb(&d[0], adb, 2));
	assert_true(xf_usb_in_adb(&d[1], adb, 2));
	assert_false(xf_usb_in_adb(&d[3], adb, 2));
	char advice[300];
	xf_usb_advice(&d[0], advice, sizeof(advice));
	assert_non_null(strstr(advice, "adb start-server"));
	xf_usb_advice(&d[2], advice, sizeof(advice));
	assert_non_null(strstr(advice, "fastboot"));
	xf_usb_advice(&d[3], advice, sizeof(advice));
	assert_non_null(strstr(advice, "udev rule for 2717:ff48"));
	/* at most max */
	assert_int_equal(xf_usb_list(&fake, d, 1, why, sizeof(why)), 1);
}

static int fail_init(libusb_context **ctx)
{
	(void)ctx;
	return LIBUSB_ERROR_ACCESS;
}

static void test_unlistable(void **state)
{
	(void)state;
	struct xf_usb_ops ops = fake;
	ops.init = fail_init;
	struct xf_usb_dev d[2];
	char why[128];
	assert_int_equal(xf_usb_list(&ops, d, 2, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "libusb: Access denied"));
	/* the real libusb: here there is no bus, which is no device or an error
	 * that says why, never a crash */
	long n = xf_usb_list(&xf_usb_libusb, d, 2, why, sizeof(why));
	assert_true(n >= -1 && n <= 2);
	if (n < 0)
		assert_non_null(strstr(why, "libusb: "));
}

/* The usb transport's listing: a note per phone that no adb server lists
 * (found devices' aliases are the servers' serials), none for the others. */
static void test_notes(void **state)
{
	(void)state;
	struct xf_device found[2];
	xf_device_init(&found[0], &xf_transport_local, "host");
	xf_device_init(&found[1], &xf_transport_adb, "ce0517-stable");
	snprintf(found[1].alias, sizeof(found[1].alias), "ce0517");
	char notes[2048] = "";
	xf_usb_notes_ops(&fake, found, 2, true, notes, sizeof(notes));
	assert_string_equal(notes,
		"usb 001/004 18d1:4ee7 Pixel 8 serial R58M123ABC: on USB but in no adb server: run "
		"'adb start-server' (or 'adb kill-server' if it is stuck), then accept the debugging "
		"prompt (then run again)\n"
		"usb 002/001 18d1:4ee0 Android serial FB123: in the bootloader (fastboot): boot it "
		"into Android (then run again)\n"
		"usb 002/002 2717:ff48 : cannot open it: Access denied (insufficient permissions): add "
		"a udev rule for 2717:ff48 (Debian's android-sdk-platform-tools-common) or join the "
		"plugdev group (then run again)\n");
	/* a bus that cannot be listed: said only when verbose */
	struct xf_usb_ops ops = fake;
	ops.init = fail_init;
	notes[0] = '\0';
	xf_usb_notes_ops(&ops, found, 2, false, notes, sizeof(notes));
	assert_string_equal(notes, "");
	xf_usb_notes_ops(&ops, found, 2, true, notes, sizeof(notes));
	assert_string_equal(notes, "usb: libusb: Access denied (insufficient permissions) (no USB "
			    "phones are listed)\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fake_bus),
		cmocka_unit_test(test_unlistable),
		cmocka_unit_test(test_notes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
