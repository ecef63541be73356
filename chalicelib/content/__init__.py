"""Content (issue 15 item 9: X3, AM): stories, sliders / banners and popups for the apps, with staff CRUD."""
