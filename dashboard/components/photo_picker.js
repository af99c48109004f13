// The photo picker's browser side: the chosen photo, shrunk when it is very large, shown at once
// from the browser's own copy; the frame chosen in the crop dialog; the clipboard and the camera.
// Nothing here decides what is accepted: the server checks every file that arrives.
(function () {
  "use strict";
  if (typeof window === "undefined" || window.photoPicker) {
    return; // not in a browser (the page's module is also read at build time), or already set up
  }

  const picked = {}; // slot -> {file, url, width, height, name}
  let frame = null; // the crop dialog's last croppedAreaPixels
  let rotation = 0;
  let lastSlot = "";
  let shownSize = null; // the size of the image the dialog shows (its natural size, upright)

  function outputName(name) {
    const base = (name || "photo").replace(/\.[^.]*$/, "");
    return base + ".jpg";
  }

  // Decode upright (EXIF orientation applied); null when this browser cannot decode it (HEIC in Chromium).
  async function decode(file) {
    try {
      return await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (err) {
      return null;
    }
  }

  // A copy whose long side is at most maxSide, upright, as a JPEG; the file itself when it is small enough.
  async function shrink(file, bitmap, maxSide) {
    const longSide = Math.max(bitmap.width, bitmap.height);
    if (!maxSide || longSide <= maxSide) {
      return { file: file, width: bitmap.width, height: bitmap.height, scaled: false };
    }
    const scale = maxSide / longSide;
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d");
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, width, height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
    if (!blob) {
      return { file: file, width: bitmap.width, height: bitmap.height, scaled: false };
    }
    const smaller = new File([blob], outputName(file.name), { type: "image/jpeg", lastModified: Date.now() });
    return { file: smaller, width: width, height: height, scaled: true };
  }

  // Keep the photo chosen for a slot and describe it for the crop dialog.
  async function choose(slot, files, maxSide) {
    const file = files && files[0];
    if (!file) {
      // Nothing accepted (the dropzone refused the file and says why): nothing to frame or send.
      return { slot: slot, src: "", none: true };
    }
    lastSlot = slot;
    // Choosing the same file again (after a cancel) must be seen as a new choice.
    const input = document.querySelector("#" + slot + "-upload input[type=file]");
    if (input) {
      input.value = "";
    }
    const old = picked[slot];
    if (old && old.url) {
      URL.revokeObjectURL(old.url);
    }
    const bitmap = await decode(file);
    let chosen = { file: file, width: 0, height: 0, scaled: false };
    if (bitmap) {
      chosen = await shrink(file, bitmap, maxSide);
      bitmap.close();
    }
    const url = bitmap ? URL.createObjectURL(chosen.file) : "";
    // Which choice this is: the slot ignores a late local preview of a photo already stored.
    const pick = Date.now();
    picked[slot] = { file: chosen.file, url: url, width: chosen.width, height: chosen.height, name: file.name, pick: pick };
    frame = null;
    rotation = 0;
    shownSize = null;
    return {
      slot: slot,
      src: url,
      width: chosen.width,
      height: chosen.height,
      name: file.name || "photo",
      decoded: !!bitmap,
      sent_bytes: chosen.file.size,
      scaled: chosen.scaled,
    };
  }

  function files(slot) {
    const entry = picked[slot];
    return entry ? [entry.file] : [];
  }

  function localUrl(slot) {
    const entry = picked[slot];
    return entry ? entry.url : "";
  }

  function framed(pixels) {
    if (pixels && pixels.width > 0 && pixels.height > 0) {
      frame = { x: pixels.x, y: pixels.y, width: pixels.width, height: pixels.height };
    }
  }

  function shown(media) {
    if (media && media.naturalWidth > 0) {
      shownSize = { width: media.naturalWidth, height: media.naturalHeight };
    }
  }

  function turned(degrees) {
    rotation = ((degrees % 360) + 360) % 360;
  }

  // The frame as the server reads it (dashboard/photo_framing.py Framing), or "" when there is none.
  // It is measured on the image the dialog shows: the picked file, or an image opened by URL.
  function framing(slot) {
    const entry = picked[slot];
    const size = shownSize || (entry && entry.width ? { width: entry.width, height: entry.height } : null);
    if (!frame || !size) {
      return "";
    }
    return JSON.stringify({
      x: Math.max(0, Math.round(frame.x)),
      y: Math.max(0, Math.round(frame.y)),
      width: Math.max(1, Math.round(frame.width)),
      height: Math.max(1, Math.round(frame.height)),
      rotation: rotation,
      image_width: size.width,
      image_height: size.height,
    });
  }

  // The number of the photo chosen for the slot (it grows with each choice; 0: none yet). Uploads
  // and their progress carry it, so the server can tell late news of an upload it handled.
  function pickOf(slot) {
    const entry = picked[slot];
    return entry ? entry.pick : 0;
  }

  // The framed part, drawn from the browser's own copy at the slot's size: what the slot shows
  // while the photo uploads. Without a frame, the chosen photo itself.
  async function framedPreview(slot, outWidth, outHeight) {
    const entry = picked[slot];
    if (!entry) {
      return { url: "", pick: 0 };
    }
    if (!frame || !entry.url) {
      return { url: entry.url, pick: entry.pick };
    }
    const bitmap = await decode(entry.file);
    return { url: bitmap ? await drawFrame(bitmap, outWidth, outHeight) : entry.url, pick: entry.pick };
  }

  // The framed part of the image the dialog shows (a photo already stored, shown by its URL).
  async function shownPreview(outWidth, outHeight) {
    const image = document.querySelector("#crop-dialog img");
    const chosen = framing("");
    if (!image || !image.complete || !frame) {
      return { url: "", pick: 0, framing: chosen };
    }
    try {
      const bitmap = await createImageBitmap(image);
      return { url: await drawFrame(bitmap, outWidth, outHeight), pick: Date.now(), framing: chosen };
    } catch (err) {
      // An image the page may not read (no CORS): the server's preview follows instead.
      return { url: "", pick: 0, framing: chosen };
    }
  }

  // Draw the frame (turned like the dialog) from an upright bitmap at the slot's size; a blob: URL.
  async function drawFrame(bitmap, outWidth, outHeight) {
    const quarter = rotation === 90 || rotation === 270;
    const turnedWidth = quarter ? bitmap.height : bitmap.width;
    const turnedHeight = quarter ? bitmap.width : bitmap.height;
    const canvas = document.createElement("canvas");
    canvas.width = outWidth;
    canvas.height = outHeight;
    const context = canvas.getContext("2d");
    context.imageSmoothingQuality = "high";
    context.scale(outWidth / frame.width, outHeight / frame.height);
    context.translate(-frame.x + turnedWidth / 2, -frame.y + turnedHeight / 2);
    context.rotate((rotation * Math.PI) / 180);
    context.drawImage(bitmap, -bitmap.width / 2, -bitmap.height / 2);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
    return blob ? URL.createObjectURL(blob) : "";
  }

  function forget(slot) {
    const entry = picked[slot];
    if (entry && entry.url) {
      // The slot may still show it while the upload runs; let the page drop it first.
      setTimeout(() => URL.revokeObjectURL(entry.url), 60000);
    }
    delete picked[slot];
  }

  // Back to the slot the photo was chosen for, when the dialog closes.
  function focusSlot() {
    focusZone(lastSlot);
  }

  // A slot takes focus on its button (the dropzone itself is not focusable).
  function focusZone(slot) {
    const zone = slot && document.getElementById(slot + "-upload");
    const target = zone && (zone.querySelector("button") || zone);
    if (target) {
      target.focus();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Other ways in: each hands a File to the slot's own file input, as if chosen in the file dialog,
  // so every photo takes the same path (shrink, crop dialog, upload).

  function dropzoneOf(node) {
    return node && node.closest ? node.closest("#avatar-upload, #cover-upload") : null;
  }

  function handOver(slot, file) {
    const input = document.querySelector("#" + slot + "-upload input[type=file]");
    if (!input) {
      return false;
    }
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }

  function extension(type) {
    const known = { "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif" };
    return known[type] || "";
  }

  // Paste an image onto the focused slot.
  document.addEventListener("paste", (event) => {
    const zone = dropzoneOf(document.activeElement);
    const items = (event.clipboardData && event.clipboardData.files) || [];
    const images = Array.from(items).filter((file) => file.type.startsWith("image/"));
    if (!zone || images.length === 0) {
      return;
    }
    event.preventDefault();
    const image = images[0];
    const named = new File([image], "pasted-photo" + extension(image.type), { type: image.type });
    handOver(zone.id.replace(/-upload$/, ""), named);
  });

  // A visible drag-over state on each slot (data-drag-over, styled by the slot's classes).
  function clearDragOver() {
    document.querySelectorAll("[data-drag-over]").forEach((zone) => zone.removeAttribute("data-drag-over"));
  }
  document.addEventListener("dragenter", (event) => {
    const zone = dropzoneOf(event.target);
    if (zone) {
      zone.setAttribute("data-drag-over", "true");
    }
  });
  document.addEventListener("dragleave", (event) => {
    const zone = dropzoneOf(event.target);
    if (zone && !zone.contains(event.relatedTarget)) {
      zone.removeAttribute("data-drag-over");
    }
  });
  document.addEventListener("drop", clearDragOver);
  document.addEventListener("dragend", clearDragOver);

  // The camera: preview, take, retake, use.
  let stream = null;

  function cameraParts() {
    return {
      dialog: document.getElementById("camera-dialog"),
      video: document.getElementById("camera-video"),
      still: document.getElementById("camera-still"),
      error: document.getElementById("camera-error"),
    };
  }

  function showCaptured(captured) {
    const parts = cameraParts();
    if (parts.dialog) {
      parts.dialog.setAttribute("data-captured", captured ? "yes" : "no");
    }
  }

  let cameraSlot = "";

  async function startCamera() {
    const parts = cameraParts();
    cameraSlot = parts.dialog ? parts.dialog.getAttribute("data-slot") : "";
    showCaptured(false);
    if (parts.error) {
      parts.error.textContent = "";
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1920 }, height: { ideal: 1080 } }, audio: false });
      if (parts.video) {
        parts.video.srcObject = stream;
        await parts.video.play();
      }
    } catch (err) {
      if (parts.error) {
        parts.error.textContent =
          "The camera could not be started (" + (err && err.name ? err.name : "no camera") + "). Allow the camera, or choose a file instead.";
      }
    }
  }

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach((track) => track.stop());
      stream = null;
    }
  }

  // The camera dialog closed: the camera goes off and focus goes back to the slot.
  function closeCamera() {
    stopCamera();
    focusZone(cameraSlot);
  }

  function capture() {
    const parts = cameraParts();
    if (!parts.video || !parts.still || !parts.video.videoWidth) {
      return;
    }
    parts.still.width = parts.video.videoWidth;
    parts.still.height = parts.video.videoHeight;
    parts.still.getContext("2d").drawImage(parts.video, 0, 0);
    showCaptured(true);
  }

  function retake() {
    showCaptured(false);
  }

  async function useCamera() {
    const parts = cameraParts();
    const slot = parts.dialog ? parts.dialog.getAttribute("data-slot") : "";
    if (!parts.still || !slot || !parts.still.width) {
      return;
    }
    const blob = await new Promise((resolve) => parts.still.toBlob(resolve, "image/jpeg", 0.92));
    stopCamera();
    if (blob) {
      handOver(slot, new File([blob], "camera-photo.jpg", { type: "image/jpeg" }));
    }
  }

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    document.documentElement.setAttribute("data-camera", "yes");
  }

  window.photoPicker = { choose, files, localUrl, framed, shown, turned, framing, framedPreview, shownPreview, pickOf, forget, focusSlot,
    handOver, startCamera, stopCamera, closeCamera, capture, retake, useCamera };
})();
