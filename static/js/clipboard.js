// Copying a field's text (a join link, a bot's key): selected first, so that
// where the clipboard is refused the person copies it with the keyboard.

export async function copyField(field) {
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    return true;
  } catch {
    return false;
  }
}
