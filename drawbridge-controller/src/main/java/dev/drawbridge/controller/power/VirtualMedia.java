package dev.drawbridge.controller.power;

/**
 * A BMC's virtual CD: insert an image the BMC fetches from a URL, and eject it. Redfish offers it
 * ({@code VirtualMedia.InsertMedia} and {@code EjectMedia}); IPMI does not.
 */
public interface VirtualMedia {
    /** Inserts the image at {@code imageUrl} into the first CD or DVD slot, write-protected. */
    void insert(BmcTarget target, String imageUrl);

    /** Ejects whatever is in that slot. */
    void eject(BmcTarget target);
}
