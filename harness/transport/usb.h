/* usb.h - phones on USB: the interfaces of class 0xFF, subclass 0x42,
 * protocol 0x01 (ADB; 0x03 is fastboot), listed with libusb, so that a
 * phone on the cable that no adb server shows is reported with what to do;
 * the usb transport (xf_transport_usb, transport.h) lists them so. (Talking
 * ADB over USB without a server comes in a later issue: until then the
 * transport lists no devices, and its stage, run and pull say so.)
 *
 * libusb is reached through a table of functions so that tests can give a
 * fake bus: there is no USB hardware here. */
#ifndef XF_USB_H
#define XF_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libusb.h>

#define XF_USB_CLASS 0xff
#define XF_USB_SUBCLASS 0x42
#define XF_USB_PROTOCOL_ADB 0x01
#define XF_USB_PROTOCOL_FASTBOOT 0x03

struct xf_usb_dev {
	uint16_t vid, pid;
	uint8_t bus, address;
	uint8_t interface;       /* the ADB (or fastboot) interface's number */
	bool fastboot;           /* protocol 0x03: the bootloader, not Android */
	char serial[128];        /* iSerialNumber, "" when it cannot be read */
	char product[128];       /* iProduct, "" when it cannot be read */
	char why[96];            /* why serial is "" (e.g. no permission to open) */
};

/* The libusb functions used (tests swap them for a fake bus). */
struct xf_usb_ops {
	int (*init)(libusb_context **ctx);
	void (*exit)(libusb_context *ctx);
	ssize_t (*get_device_list)(libusb_context *ctx, libusb_device ***list);
	void (*free_device_list)(libusb_device **list, int unref);
	int (*get_device_descriptor)(libusb_device *dev, struct libusb_device_descriptor *desc);
	int (*get_active_config_descriptor)(libusb_device *dev,
					    struct libusb_config_descriptor **config);
	void (*free_config_descriptor)(struct libusb_config_descriptor *config);
	uint8_t (*get_bus_number)(libusb_device *dev);
	uint8_t (*get_device_address)(libusb_device *dev);
	int (*open)(libusb_device *dev, libusb_device_handle **h);
	void (*close)(libusb_device_handle *h);
	int (*get_string_descriptor_ascii)(libusb_device_handle *h, uint8_t index,
					   unsigned char *data, int length);
	const char *(*strerror)(int code);
};

/* libusb itself. */
extern const struct xf_usb_ops xf_usb_libusb;

/* Lists the devices with an ADB or fastboot interface into out (at most
 * max); returns how many, or -1 when USB cannot be listed (why says so: no
 * /dev/bus/usb in a container, ...). */
long xf_usb_list(const struct xf_usb_ops *ops, struct xf_usb_dev *out, size_t max, char *why,
		 size_t why_n);

/* Whether serial is among the n serials (adb servers' devices-l names). */
bool xf_usb_in_adb(const struct xf_usb_dev *d, const char *const *serials, size_t n);

/* What to do about a USB device that no adb server lists. */
void xf_usb_advice(const struct xf_usb_dev *d, char *out, size_t n);

struct xf_device;
/* The phones on USB (through ops) whose serial is no alias of found[0..n),
 * each a line of notes with what to do; a bus that cannot be listed is a
 * line too when verbose. The usb transport's listing. */
void xf_usb_notes_ops(const struct xf_usb_ops *ops, const struct xf_device *found, size_t n,
		      bool verbose, char *notes, size_t notes_n);
/* The same on libusb itself. */
void xf_usb_notes(const struct xf_device *found, size_t n, bool verbose, char *notes,
		  size_t notes_n);

#endif /* XF_USB_H */
