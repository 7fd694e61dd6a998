/* usb.c - ADB and fastboot interfaces on USB, and the usb transport that
 * lists them with what to do (usb.h). */
#include <stdio.h>
#include <string.h>

#include "devices.h"
#include "usb.h"
#include "util.h"

static int real_init(libusb_context **ctx)
{
	return libusb_init(ctx);
}

static const char *real_strerror(int code)
{
	return libusb_strerror(code);
}

const struct xf_usb_ops xf_usb_libusb = {
	real_init,
	libusb_exit,
	libusb_get_device_list,
	libusb_free_device_list,
	libusb_get_device_descriptor,
	libusb_get_active_config_descriptor,
	libusb_free_config_descriptor,
	libusb_get_bus_number,
	libusb_get_device_address,
	libusb_open,
	libusb_close,
	libusb_get_string_descriptor_ascii,
	real_strerror,
};

/* The ADB (or fastboot) interface of config c: its number, or -1. */
static int adb_interface(const struct libusb_config_descriptor *c, bool *fastboot)
{
	for (int i = 0; i < c->bNumInterfaces; i++) {
		const struct libusb_interface *itf = &c->interface[i];
		for (int a = 0; a < itf->num_altsetting; a++) {
			const struct libusb_interface_descriptor *d = &itf->altsetting[a];
			if (d->bInterfaceClass != XF_USB_CLASS ||
			    d->bInterfaceSubClass != XF_USB_SUBCLASS)
				continue;
			if (d->bInterfaceProtocol == XF_USB_PROTOCOL_ADB ||
			    d->bInterfaceProtocol == XF_USB_PROTOCOL_FASTBOOT) {
				*fastboot = d->bInterfaceProtocol == XF_USB_PROTOCOL_FASTBOOT;
				return d->bInterfaceNumber;
			}
		}
	}
	return -1;
}

/* A string descriptor as printable ASCII ("" when it cannot be read). */
static void read_string(const struct xf_usb_ops *ops, libusb_device_handle *h, uint8_t index,
			char *out, size_t n)
{
	unsigned char buf[256];
	out[0] = '\0';
	if (index == 0)
		return;
	int len = ops->get_string_descriptor_ascii(h, index, buf, (int)sizeof(buf) - 1);
	if (len <= 0)
		return;
	if (len > (int)sizeof(buf) - 1)
		len = (int)sizeof(buf) - 1;
	size_t k = 0;
	for (int i = 0; i < len && k + 1 < n; i++)
		out[k++] = buf[i] >= 0x20 && buf[i] < 0x7f ? (char)buf[i] : '?';
	out[k] = '\0';
}

long xf_usb_list(const struct xf_usb_ops *ops, struct xf_usb_dev *out, size_t max, char *why,
		 size_t why_n)
{
	libusb_context *ctx = NULL;
	int rc = ops->init(&ctx);
	if (rc != 0) {
		snprintf(why, why_n, "libusb: %s", ops->strerror(rc));
		return -1;
	}
	libusb_device **list;
	ssize_t nd = ops->get_device_list(ctx, &list);
	if (nd < 0) {
		snprintf(why, why_n, "libusb: %s", ops->strerror((int)nd));
		ops->exit(ctx);
		return -1;
	}
	size_t k = 0;
	for (ssize_t i = 0; i < nd && k < max; i++) {
		struct libusb_device_descriptor dd;
		struct libusb_config_descriptor *cfg;
		if (ops->get_device_descriptor(list[i], &dd) != 0 ||
		    ops->get_active_config_descriptor(list[i], &cfg) != 0)
			continue;
		struct xf_usb_dev d;
		memset(&d, 0, sizeof(d));
		int itf = adb_interface(cfg, &d.fastboot);
		ops->free_config_descriptor(cfg);
		if (itf < 0)
			continue;
		d.vid = dd.idVendor;
		d.pid = dd.idProduct;
		d.bus = ops->get_bus_number(list[i]);
		d.address = ops->get_device_address(list[i]);
		d.interface = (uint8_t)itf;
		libusb_device_handle *h;
		rc = ops->open(list[i], &h);
		if (rc == 0) {
			read_string(ops, h, dd.iSerialNumber, d.serial, sizeof(d.serial));
			read_string(ops, h, dd.iProduct, d.product, sizeof(d.product));
			ops->close(h);
			if (d.serial[0] == '\0')
				snprintf(d.why, sizeof(d.why), "no serial number");
		} else {
			snprintf(d.why, sizeof(d.why), "cannot open it: %s", ops->strerror(rc));
		}
		out[k++] = d;
	}
	ops->free_device_list(list, 1);
	ops->exit(ctx);
	return (long)k;
}

bool xf_usb_in_adb(const struct xf_usb_dev *d, const char *const *serials, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d->serial[0] && strcmp(d->serial, serials[i]) == 0)
			return true;
	return false;
}

void xf_usb_advice(const struct xf_usb_dev *d, char *out, size_t n)
{
	if (d->fastboot)
		snprintf(out, n, "in the bootloader (fastboot): boot it into Android");
	else if (d->why[0] && strncmp(d->why, "cannot open", 11) == 0)
		snprintf(out, n, "%s: add a udev rule for %04x:%04x (Debian's "
			 "android-sdk-platform-tools-common) or join the plugdev group", d->why,
			 d->vid, d->pid);
	else
		snprintf(out, n, "on USB but in no adb server: run 'adb start-server' (or "
			 "'adb kill-server' if it is stuck), then accept the debugging prompt");
}

/* ---- the usb transport ---------------------------------------------------------------------- */

void xf_usb_notes_ops(const struct xf_usb_ops *ops, const struct xf_device *found, size_t n,
		      bool verbose, char *notes, size_t notes_n)
{
	struct xf_usb_dev usb[XF_MAX_DEVICES];
	char why[200];
	long nu = xf_usb_list(ops, usb, XF_MAX_DEVICES, why, sizeof(why));
	if (nu < 0) {
		if (verbose)
			xf_note(notes, notes_n, "usb", why, "no USB phones are listed");
		return;
	}
	const char *serials[XF_MAX_DEVICES];
	size_t ns = 0;
	for (size_t i = 0; i < n && ns < XF_MAX_DEVICES; i++)
		if (found[i].alias[0])
			serials[ns++] = found[i].alias;
	for (long i = 0; i < nu; i++) {
		if (xf_usb_in_adb(&usb[i], serials, ns))
			continue;
		char name[200], what[300];
		snprintf(name, sizeof(name), "usb %03u/%03u %04x:%04x %.60s%s%.60s", usb[i].bus,
			 usb[i].address, usb[i].vid, usb[i].pid, usb[i].product,
			 usb[i].serial[0] ? " serial " : "", usb[i].serial);
		xf_usb_advice(&usb[i], what, sizeof(what));
		xf_note(notes, notes_n, name, what, "then run again");
	}
}

void xf_usb_notes(const struct xf_device *found, size_t n, bool verbose, char *notes,
		  size_t notes_n)
{
	xf_usb_notes_ops(&xf_usb_libusb, found, n, verbose, notes, notes_n);
}

static void usb_list(const struct xf_list_opts *o, struct xf_device *out, size_t max,
		     size_t *n, char *notes, size_t notes_n)
{
	(void)max;
	xf_usb_notes(out, *n, o->usb_verbose, notes, notes_n);
}

/* No device of this transport exists yet (usb_list only writes notes). */
static enum xs_status usb_unsupported(const struct xf_device *d, struct xs_error *err)
{
	return xf_error_set(err, XS_EINVAL, "%s: ADB over USB without an adb server is not "
			    "supported yet (run 'adb start-server' and use the adb transport)",
			    d->serial);
}

static enum xs_status usb_stage(struct xf_device *d, struct xf_stage_file *files, size_t n,
				size_t *pushed, xf_stage_progress_fn progress, void *ctx,
				struct xs_error *err)
{
	(void)files;
	(void)n;
	(void)progress;
	(void)ctx;
	*pushed = 0;
	return usb_unsupported(d, err);
}

static enum xs_status usb_run(const struct xf_device *d, const char *const *args,
			      xf_out_fn out, void *ctx, int *status, struct xs_error *err)
{
	(void)args;
	(void)out;
	(void)ctx;
	*status = -1;
	return usb_unsupported(d, err);
}

static enum xs_status usb_pull(const struct xf_device *d, const char *remote, const char *dir,
			       char *path, size_t path_n, struct xs_error *err)
{
	(void)remote;
	(void)dir;
	(void)path;
	(void)path_n;
	return usb_unsupported(d, err);
}

static void usb_describe(const struct xf_device *d, char *out, size_t n)
{
	(void)d;
	snprintf(out, n, "(usb)");
}

const struct xf_transport xf_transport_usb = {
	.name = "usb",
	.copies = true,
	.list = usb_list,
	.stage = usb_stage,
	.run = usb_run,
	.pull = usb_pull,
	.describe = usb_describe,
};
